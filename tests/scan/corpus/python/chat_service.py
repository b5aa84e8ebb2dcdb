"""Chat service used by the support bot.

The summariser still runs on gpt-4-0613; see MIGRATION.md before changing it.
"""

import os

import anthropic
from openai import AzureOpenAI, OpenAI

from .prompts import gpt4_prompt, claude_2_client  # helpers named after old models

DEFAULT_MODEL = "gpt-4o-mini"
SUMMARY_MODEL = "gpt-4-0613"
FALLBACKS = ["gpt-3.5-turbo-0125", "gpt-4-turbo-2024-04-09", "o1-mini"]
REASONING_MODEL = "o3"

client = OpenAI()
azure = AzureOpenAI(api_version="2024-06-01", azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"])
claude = anthropic.Anthropic()


def summarise(text: str) -> str:
    # gpt-4.5-preview was better here but it is gone
    reply = client.chat.completions.create(
        model=SUMMARY_MODEL,
        messages=[{"role": "user", "content": gpt4_prompt(text)}],
    )
    return reply.choices[0].message.content


def classify(text: str) -> str:
    reply = azure.chat.completions.create(model="gpt-35-turbo-16k", messages=[{"role": "user", "content": text}])
    return reply.choices[0].message.content


def draft(text: str) -> str:
    message = claude.messages.create(
        model="claude-3-opus-20240229",
        max_tokens=1024,
        messages=[{"role": "user", "content": text}],
    )
    return message.content[0].text


def polish(text: str) -> str:
    message = claude.messages.create(model='claude-3-5-sonnet-latest', max_tokens=512,
                                     messages=[{"role": "user", "content": text}])
    return message.content[0].text


def describe() -> str:
    # GPT-4 is great at this, Claude 3 Opus too; we keep the cheap one.
    use_gpt_4o = os.environ.get("USE_GPT_4O") == "1"
    log_file = "logs/gpt-4o-mini-runs.jsonl"
    return f"{use_gpt_4o} {log_file} {claude_2_client}"
