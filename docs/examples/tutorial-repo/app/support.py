"""The support bot of the tutorial (docs/tutorial.md): it still calls gpt-4-0314."""

from openai import OpenAI

client = OpenAI()
MODEL = "gpt-4-0314"


def reply(messages):
    return client.chat.completions.create(model=MODEL, messages=messages, temperature=0.2)
