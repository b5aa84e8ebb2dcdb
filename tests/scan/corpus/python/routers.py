"""Model routing through LiteLLM and OpenRouter."""

import litellm

ROUTES = {
    "fast": "openrouter/openai/gpt-4o-mini",
    "smart": "anthropic/claude-3-opus-20240229",
    "azure": "azure/gpt-35-turbo",
    "bedrock": "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
    "vertex": "vertex_ai/gemini-1.5-pro",
    "studio": "gemini/gemini-1.5-flash",
    "mistral": "mistral/mistral-large-latest",
    "grok": "xai/grok-beta",
    "deepseek": "deepseek/deepseek-chat",
}

OPENROUTER_MODELS = [
    "anthropic/claude-3.5-sonnet",
    "google/gemini-2.0-flash-001",
    "meta-llama/llama-3.1-70b-instruct",
    "mistralai/mistral-large-2411",
    "x-ai/grok-2-1212",
    "deepseek/deepseek-r1:free",
]

# names of our own things, not models
TEAM = "mistral"
PACKAGE = "mistral-common"
TOOLS = ["gpt-engineer", "claude-code", "gemini-cli", "llama-index"]
CMD = ["command", "-v", "git"]
USER = {"name": "ada", "role": "admin"}


def ask(route: str, prompt: str) -> str:
    response = litellm.completion(model=ROUTES[route], messages=[{"role": "user", "content": prompt}])
    return response.choices[0].message.content
