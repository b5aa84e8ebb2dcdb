require "openai"

# Uses GPT-4 Turbo for replies; the claude_instant_adapter is dead code.
class Assistant
  MODEL = "gpt-4-turbo"
  FALLBACK = 'gpt-3.5-turbo'
  CLAUDE = %q(claude-3-sonnet-20240229)

  def initialize
    @client = OpenAI::Client.new
  end

  def reply(text)
    @client.chat(parameters: { model: "gpt-4-0125-preview", messages: [{ role: "user", content: text }] })
  end

  def claude_instant_adapter
    :claude_instant
  end
end
