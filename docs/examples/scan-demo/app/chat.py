from openai import OpenAI

client = OpenAI()
SUMMARY_MODEL = "gpt-4-0613"
FALLBACK = "gpt-4o-mini"


def summarise(text: str) -> str:
    reply = client.chat.completions.create(
        model=SUMMARY_MODEL, messages=[{"role": "user", "content": text}]
    )
    return reply.choices[0].message.content
