using Azure.AI.OpenAI;
using OpenAI.Chat;

namespace Acme.Chat;

public sealed class ChatService
{
    // Azure deployment names follow the model: gpt-35-turbo-0301 was the first one.
    private const string Deployment = "gpt-35-turbo";
    private const string Gpt4Deployment = "gpt-4-32k-0613";
    private readonly ChatClient _client;
    private readonly string _gpt4Name = nameof(Gpt4Deployment);

    public ChatService(AzureOpenAIClient azure)
    {
        _client = azure.GetChatClient("gpt-4o-2024-08-06");
    }

    public string Version => "8.0.100";
    public string Verbatim => @"o1-2024-12-17";
}
