"""Edge cases: getenv defaults, dict keys, provider prefixes, f-strings, docstrings."""

import os

from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from pydantic_ai import Agent

MODEL = os.getenv("LLM_MODEL", "gpt-4-0314")
PROMPTS = {"gpt-4o-2024-05-13": "You are terse.", "claude-3-opus-20240229": "Be kind."}
agent = Agent("openai:gpt-4o-mini")
writer = Agent("anthropic:claude-3-5-sonnet-latest")
llm = ChatOpenAI(model_name="gpt-4-32k-0314")
embeddings = OpenAIEmbeddings(model="text-embedding-3-large")

# look-alikes
OPTIONS = {"o1": "first", "o2": "second"}
BRANCH = "feature/gpt-4o-migration"
METRIC = "claude_3_opus_latency_ms"
LABEL = "Claude 3.5 Sonnet (new)"
CSS = ".gpt-4o-badge"
SHA = "a1b2c3d4e5f6"
VERSION = "v2.1.0-beta.3"
BUCKET = "s3://acme-gpt-4-exports/2024/"


def pick(kind: str) -> str:
    """Return gpt-3.5-turbo-0301 for cheap jobs."""
    return f"{kind}-claude-3-haiku-20240307"
