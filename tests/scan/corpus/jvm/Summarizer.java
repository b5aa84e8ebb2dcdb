package com.acme.ai;

import com.anthropic.client.AnthropicClient;
import com.anthropic.models.messages.MessageCreateParams;

/** Summarises tickets with Claude (see ClaudeSummarizerTest for claude_2 fixtures). */
public class Summarizer {
    private static final String MODEL = "claude-2.1";
    private static final String FAST_MODEL = "claude-instant-1.2";
    private static final String NEXT = "claude-3-7-sonnet-20250219";
    private final AnthropicClient claude3Client;

    public Summarizer(AnthropicClient client) {
        this.claude3Client = client;
    }

    public String summarize(String text) {
        MessageCreateParams params = MessageCreateParams.builder()
            .model("claude-3-5-haiku-latest") // cheaper than claude-3-opus-latest
            .maxTokens(512L)
            .addUserMessage(text)
            .build();
        return claude3Client.messages().create(params).toString();
    }
}
