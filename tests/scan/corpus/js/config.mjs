export default {
  providers: {
    openrouter: { model: "openai/gpt-4-turbo-preview" },
    groq: { model: "llama3-70b-8192" },
    gemini: { model: "gemini-pro" },
  },
  embeddings: "text-embedding-ada-002",
  images: 'dall-e-2',
  // the old completion endpoint: text-davinci-003
  completion: "gpt-3.5-turbo-instruct",
  version: "3.5.0",
  changelog: "https://github.com/openai/openai-node/releases/tag/v4.52.0",
};
