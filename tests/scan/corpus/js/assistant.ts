import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";

const openai = new OpenAI();
const anthropic = new Anthropic();
const bedrock = new BedrockRuntimeClient({ region: "us-west-2" });

// Default for every tenant; tenants on the legacy plan still get gpt-3.5-turbo-0613.
export const DEFAULT_MODEL = "gpt-4o-2024-05-13";
const LEGACY_MODEL = 'gpt-3.5-turbo-0613';
const vision = `gpt-4-vision-preview`;

export async function answer(question: string): Promise<string> {
  const reply = await openai.chat.completions.create({
    model: process.env.CHAT_MODEL ?? "gpt-4-1106-preview",
    messages: [{ role: "user", content: question }],
  });
  return reply.choices[0].message.content ?? "";
}

export async function critique(text: string): Promise<string> {
  const msg = await anthropic.messages.create({
    model: "claude-3-haiku-20240307",
    max_tokens: 300,
    messages: [{ role: "user", content: text }],
  });
  return msg.content[0].type === "text" ? msg.content[0].text : "";
}

export async function viaBedrock(text: string) {
  return bedrock.send(new ConverseCommand({
    modelId: "us.meta.llama3-2-90b-instruct-v1:0",
    messages: [{ role: "user", content: [{ text }] }],
  }));
}

// Not models: identifiers, CSS classes, routes and package names.
const gpt4Enabled = true;
const claudeSonnetClient = null;
const classes = "btn-gpt claude-card gemini-banner";
const route = "/api/gpt-4/history";
const pkg = "@anthropic-ai/claude-code";
export { LEGACY_MODEL, vision, gpt4Enabled, claudeSonnetClient, classes, route, pkg };
