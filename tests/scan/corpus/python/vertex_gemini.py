import google.generativeai as genai
import vertexai
from anthropic import AnthropicVertex
from vertexai.generative_models import GenerativeModel

vertexai.init(project="acme-prod", location="us-central1")

flash = GenerativeModel("gemini-1.5-flash-002")
pro = GenerativeModel(model_name="gemini-1.0-pro-001")
claude_vertex = AnthropicVertex(region="us-east5", project_id="acme-prod")
VERTEX_SONNET = "claude-3-5-sonnet-v2@20241022"
VERTEX_OPUS = "claude-3-opus@20240229"
PALM = "text-bison@002"
ENDPOINT = "projects/acme-prod/locations/us-central1/publishers/google/models/gemini-1.5-pro-002"
HAIKU_PATH = "publishers/anthropic/models/claude-3-haiku@20240307"
REST_URL = "https://us-central1-aiplatform.googleapis.com/v1/projects/acme/locations/us-central1/publishers/google/models/gemini-1.5-flash-001:generateContent"

genai.configure(api_key="...")
studio = genai.GenerativeModel("models/gemini-1.5-pro")
embedder = "models/text-embedding-004"

# Gemini 1.5 Pro was the first long-context model we used; the gemini_pro_handler below wraps it.
DOCS_URL = "https://ai.google.dev/gemini-api/docs/models/gemini"
BLOG_URL = "https://blog.google/technology/ai/google-gemini-next-generation-model-february-2024/"


def gemini_pro_handler(prompt: str) -> str:
    return pro.generate_content(prompt).text


def claude_on_vertex(prompt: str) -> str:
    message = claude_vertex.messages.create(model=VERTEX_SONNET, max_tokens=256,
                                            messages=[{"role": "user", "content": prompt}])
    return message.content[0].text
