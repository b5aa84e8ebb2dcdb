from cohere import ClientV2
from mistralai import Mistral
from openai import OpenAI

mistral = Mistral(api_key="...")
cohere = ClientV2()
xai = OpenAI(base_url="https://api.x.ai/v1")
deepseek = OpenAI(base_url="https://api.deepseek.com")
moonshot = OpenAI(base_url="https://api.moonshot.cn/v1")
dashscope = OpenAI(base_url="https://dashscope.aliyuncs.com/compatible-mode/v1")

MISTRAL_LARGE = "mistral-large-2402"
MISTRAL_SMALL = "mistral-small-2402"
OPEN_MIXTRAL = "open-mixtral-8x7b"
CODESTRAL = "codestral-2405"
COMMAND = "command-r-plus"
COMMAND_OLD = "command-r-03-2024"
GROK = "grok-2-1212"
REASONER = "deepseek-reasoner"
KIMI = "kimi-k2-0711-preview"
MOONSHOT_8K = "moonshot-v1-8k"
QWEN = "qwen-turbo-2024-09-19"
GLM = "glm-4.5"

# version strings and dates are not models
API_VERSION = "2024-02-29"
MODEL_REVISION = "v1:0"
RELEASE = "4.0.613"


def chat(prompt: str) -> str:
    reply = mistral.chat.complete(model="open-mistral-7b", messages=[{"role": "user", "content": prompt}])
    return reply.choices[0].message.content


def rerank(query: str, docs: list[str]) -> list[int]:
    result = cohere.rerank(model="rerank-english-v2.0", query=query, documents=docs)
    return [r.index for r in result.results]


def grok(prompt: str) -> str:
    return xai.chat.completions.create(model="grok-beta", messages=[{"role": "user", "content": prompt}]).choices[0].message.content
