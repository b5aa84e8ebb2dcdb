use async_openai::{types::CreateChatCompletionRequestArgs, Client};

/// Talks to DeepSeek through its OpenAI-compatible API.
const DEEPSEEK_MODEL: &str = "deepseek-chat";
const REASONER: &str = "deepseek-reasoner";
const CODER: &str = r#"deepseek-coder"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::new();
    let request = CreateChatCompletionRequestArgs::default()
        .model("gpt-4-turbo-preview") // TODO: move off gpt-4-turbo-preview
        .build()?;
    let gpt4_response = client.chat().create(request).await?;
    println!("{:?} {} {} {}", gpt4_response, DEEPSEEK_MODEL, REASONER, CODER);
    let crate_version = "0.23.4";
    println!("{}", crate_version);
    Ok(())
}
