"""Issue 14's defect classes, each from a small snippet: the platform of each reference from
the nearest evidence, every id form real code uses, local runtimes, data, coverage."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from scan_catalog import AS_OF, TreeWriter

from recast.catalog import Catalog
from recast.scan import Finding, ScanConfig, scan


def _findings(root: Path, catalog: Catalog, **config: object) -> list[Finding]:
    result = scan(
        [root],
        as_of=AS_OF,
        catalog=catalog,
        config=ScanConfig(**config),
        root=root,  # type: ignore[arg-type]
    )
    return result.findings


def _by_text(root: Path, catalog: Catalog, **config: object) -> dict[str, Finding]:
    return {f.text: f for f in _findings(root, catalog, **config)}


def _kind(finding: Finding) -> str:
    return (finding.platform_reason or "").split(":")[0]


# --- 1. one mention anywhere no longer re-platforms a whole file ---------------------------


def test_a_mention_far_away_in_a_changelog_moves_nothing(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    changelog = "## 2.0\n\n- Faster `gpt-4o` and `o3` calls.\n\n" + "- a fix\n" * 50
    changelog += "\n## 1.0\n\n- Added OpenRouter support (see OpenRouter's docs).\n"
    found = _by_text(make_tree({"CHANGELOG.md": changelog}), catalog)
    assert found["gpt-4o"].platform == "openai"
    assert found["gpt-4o"].platform_reason == "home"


def test_the_client_a_call_is_made_on_decides(make_tree: TreeWriter, catalog: Catalog) -> None:
    source = (
        "from openai import AzureOpenAI, OpenAI\n"
        "# Azure users: see azure.md\n"
        "\n"
        "client = OpenAI(api_key=OPENAI_API_KEY)\n"
        'reply = client.chat.completions.create(model="gpt-4o", messages=m)\n'
    )
    finding = _by_text(make_tree({"chat.py": source}), catalog)["gpt-4o"]
    assert (finding.platform, _kind(finding)) == ("openai", "client")


def test_an_anthropic_client_beats_vertex_elsewhere_in_the_file(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    source = (
        "from anthropic import Anthropic, AnthropicVertex\n"
        "vertex = AnthropicVertex(region='us-east5', project_id='p')\n"
        "\n"
        "direct = Anthropic()\n"
        'direct.messages.create(model="claude-3-sonnet-20240229", max_tokens=9)\n'
    )
    finding = _by_text(make_tree({"a.py": source}), catalog)["claude-3-sonnet-20240229"]
    assert (finding.platform, finding.status) == ("anthropic", "retired")
    assert _kind(finding) == "client"


def test_a_variable_is_judged_where_it_is_used(make_tree: TreeWriter, catalog: Catalog) -> None:
    source = (
        "from anthropic import AnthropicBedrock\n"
        'MODEL = "claude-3-sonnet-20240229"\n'
        "\n"
        "def ask(text):\n"
        "    bedrock = AnthropicBedrock()\n"
        "    return bedrock.messages.create(model=MODEL, max_tokens=64)\n"
    )
    finding = _by_text(make_tree({"a.py": source}), catalog)["claude-3-sonnet-20240229"]
    assert (finding.platform, finding.status, _kind(finding)) == ("bedrock", "deprecated", "use")


def test_two_clients_and_no_tie_is_ambiguous_and_the_worst_decides(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    source = (
        "import anthropic\n"
        "api = anthropic.Anthropic()\n"
        "cloud = anthropic.AnthropicBedrock()\n"
        "\n"
        "\n"
        'DEFAULT = "claude-3-sonnet-20240229"\n'
    )
    finding = _by_text(make_tree({"a.py": source}), catalog)["claude-3-sonnet-20240229"]
    assert finding.platform == "ambiguous"
    by_platform = {c.platform: c.status for c in finding.platform_candidates}
    assert by_platform == {"anthropic": "retired", "bedrock": "deprecated"}
    assert (finding.status, finding.fails, finding.fix_text) == ("retired", True, None)


# --- 2. Vertex is not the Gemini API -------------------------------------------------------


@pytest.mark.parametrize(
    "setup",
    [
        "client = genai.Client(vertexai=True, project='p', location='us-central1')\n",
        "os.environ['GOOGLE_GENAI_USE_VERTEXAI'] = 'True'\nclient = genai.Client()\n",
        "vertexai.init(project='p', location='us-central1')\n",
        "client = genai.Client(enterprise=True)\n",
    ],
)
def test_google_sdk_pointed_at_vertex(make_tree: TreeWriter, catalog: Catalog, setup: str) -> None:
    source = (
        "from google import genai\n"
        + setup
        + 'r = client.models.generate_content(model="gemini-1.5-pro-002", contents="hi")\n'
    )
    finding = _by_text(make_tree({"a.py": source}), catalog)["gemini-1.5-pro-002"]
    assert (finding.platform, finding.status) == ("vertex", "deprecated")


def test_plain_gemini_api_client(make_tree: TreeWriter, catalog: Catalog) -> None:
    source = (
        "from google import genai\nclient = genai.Client(api_key=KEY)\n"
        'client.models.generate_content(model="gemini-1.5-pro-002", contents="hi")\n'
    )
    finding = _by_text(make_tree({"a.py": source}), catalog)["gemini-1.5-pro-002"]
    assert (finding.platform, finding.status) == ("gemini-api", "retired")


def test_a_platform_the_catalog_lacks_is_unknown_there_not_another_platform(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    source = (
        "client = AzureOpenAI(azure_endpoint=e)\n"
        'client.chat.completions.create(model="gpt-4.1-mini")\n'
    )
    finding = _by_text(make_tree({"a.py": source}), catalog)["gpt-4.1-mini"]
    assert (finding.platform, finding.status, finding.model) == (
        "azure-openai",
        "unknown",
        "gpt-4.1-mini",
    )


def test_a_logo_url_is_no_switch_to_vertex_and_the_env_switch_is(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    head = 'LOGO = "https://example.com/icons/vertexai/logo.svg"\n\n'
    call = 'model = ChatGoogleGenerativeAI(model="gemini-1.5-pro-002")\n'
    plain = _by_text(make_tree({"a.py": head + "\n" + call}), catalog)
    assert plain["gemini-1.5-pro-002"].platform == "gemini-api"
    switched = head + "os.environ['GOOGLE_GENAI_USE_VERTEXAI'] = '1'\n\n" + call
    found = _by_text(make_tree({"b.py": switched}), catalog)["gemini-1.5-pro-002"]
    assert (found.platform, found.platform_reason) == ("vertex", "file: `USE_VERTEXAI` (line 3)")


# --- 2b. connectors of other SDKs and frameworks ------------------------------------------


def test_dotnet_connectors_name_their_platform(make_tree: TreeWriter, catalog: Catalog) -> None:
    source = (
        "var builder = Kernel.CreateBuilder()\n"
        '    .AddAzureOpenAIChatCompletion(deploymentName: "gpt-4o-mini", endpoint: e, apiKey: k)\n'
        '    .AddOpenAIChatCompletion(modelId: "gpt-4o", apiKey: key);\n'
    )
    found = _by_text(make_tree({"Program.cs": source}), catalog)
    assert (found["gpt-4o-mini"].platform, _kind(found["gpt-4o-mini"])) == ("azure-openai", "call")
    assert (found["gpt-4o"].platform, _kind(found["gpt-4o"])) == ("openai", "call")


def test_java_and_typescript_connectors(make_tree: TreeWriter, catalog: Catalog) -> None:
    java = (
        'var a = OpenAiChatModel.builder().modelName("gpt-4o").build();\n\n'
        'var b = AzureOpenAiChatModel.builder().deploymentName("gpt-4o-mini").build();\n'
    )
    found = _by_text(make_tree({"App.java": java}), catalog)
    assert (found["gpt-4o"].platform, found["gpt-4o-mini"].platform) == ("openai", "azure-openai")
    ts = (
        "import { createAzure } from '@ai-sdk/azure';\n"
        "const azure = createAzure({ resourceName: 'r' });\n"
        "const result = await generateText({ model: azure('gpt-4o'), prompt });\n"
    )
    found = _by_text(make_tree({"chat.ts": ts}), catalog)
    assert found["gpt-4o"].platform == "azure-openai"


def test_a_settings_key_names_the_mapping_it_opens(make_tree: TreeWriter, catalog: Catalog) -> None:
    settings = (
        '{\n  "AzureOpenAI": {\n    "Endpoint": "",\n    "DeploymentName": "gpt-4o-mini"\n  },\n'
        '  "OpenAI": {\n    "ModelId": "gpt-4o",\n    "ApiKey": ""\n  },\n'
        '  "AzureOpenAIEmbeddings": {\n    "DeploymentName": "text-embedding-3-small"\n  }\n}\n'
    )
    found = _by_text(make_tree({"appsettings.json": settings}), catalog)
    assert (found["gpt-4o-mini"].platform, _kind(found["gpt-4o-mini"])) == (
        "azure-openai",
        "mapping",
    )
    assert (found["gpt-4o"].platform, _kind(found["gpt-4o"])) == ("openai", "mapping")


def test_a_variable_given_a_new_value_is_another_reference(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    source = (
        "public void GeminiApi()\n{\n"
        '    string modelId = "gemini-1.5-pro-002";\n'
        "    builder.AddGoogleAIGeminiChatCompletion(modelId, apiKey);\n}\n\n"
        "public void Vertex()\n{\n"
        '    string modelId = "gemini-1.0-pro-002";\n'
        '    builder.AddVertexAIGeminiChatCompletion(modelId, bearerKey, location: "l");\n}\n'
    )
    found = _by_text(make_tree({"Tests.cs": source}), catalog)
    first = found["gemini-1.5-pro-002"]
    assert (first.platform, _kind(first)) == ("gemini-api", "use")
    assert found["gemini-1.0-pro-002"].platform == "vertex"


def test_a_csharp_variable_named_model_id_is_not_bedrock(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    source = 'string modelId = "claude-3-sonnet-20240229";\nvar x = Use(modelId);\n'
    finding = _by_text(make_tree({"A.cs": source}), catalog)["claude-3-sonnet-20240229"]
    assert finding.platform == "anthropic"


# --- 3. id forms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "text", "platform"),
    [
        (
            'arn = f"arn:aws:bedrock:{region}::foundation-model/'
            'anthropic.claude-3-sonnet-20240229-v1:0"',
            "foundation-model/anthropic.claude-3-sonnet-20240229-v1:0",
            "bedrock",
        ),
        (
            'm = "bedrock_converse/anthropic.claude-3-sonnet-20240229-v1:0"',
            "bedrock_converse/anthropic.claude-3-sonnet-20240229-v1:0",
            "bedrock",
        ),
        ('m = "openai/o3"', "openai/o3", "openai"),
        ('m = "openrouter/openai/gpt-4o"', "openrouter/openai/gpt-4o", "openrouter"),
        ('m = "azure/gpt-4o-2024-05-13"', "azure/gpt-4o-2024-05-13", "azure-openai"),
    ],
)
def test_id_forms(
    make_tree: TreeWriter, catalog: Catalog, line: str, text: str, platform: str
) -> None:
    finding = _by_text(make_tree({"a.py": line + "\n"}), catalog)[text]
    assert (finding.platform, _kind(finding)) == (platform, "form")


def test_promptfoo_provider_ids(make_tree: TreeWriter, catalog: Catalog) -> None:
    config = (
        "providers:\n"
        "  - id: anthropic:messages:claude-3-sonnet-20240229\n"
        "  - id: openai:chat:gpt-4o\n"
    )
    found = _by_text(make_tree({"promptfooconfig.yaml": config}), catalog)
    assert found["anthropic:messages:claude-3-sonnet-20240229"].status == "retired"
    assert found["openai:chat:gpt-4o"].platform == "openai"


def test_google_route_on_vertex_openai_compatible_endpoint(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    source = (
        "client = OpenAI(base_url=f'https://aiplatform.googleapis.com/v1/projects/{p}/endpoints/openapi')\n"
        'client.chat.completions.create(model="google/gemini-1.5-pro-002", messages=m)\n'
    )
    finding = _by_text(make_tree({"a.py": source}), catalog)["google/gemini-1.5-pro-002"]
    assert (finding.platform, finding.status) == ("vertex", "deprecated")


def test_unknown_ids_are_listed_in_docs_too(make_tree: TreeWriter, catalog: Catalog) -> None:
    found = _by_text(make_tree({"README.md": "Try `claude-5-foo-20270101` later.\n"}), catalog)
    assert (found["claude-5-foo-20270101"].status, found["claude-5-foo-20270101"].severity) == (
        "unknown",
        "note",
    )


def test_help_texts_and_error_messages_are_docs(make_tree: TreeWriter, catalog: Catalog) -> None:
    source = (
        'parser.add_argument("--model", help="e.g. gpt-4-0613")\n'
        "EPILOG = 'recast scan --replace gpt-4-0613=gpt-4.1'\n"
        "def f(x):\n"
        "    if x:\n"
        "        raise ValueError(\n"
        '            f"unknown {x!r} (e.g. model=gpt-4-0613)"\n'
        "        )\n"
        'MODEL = "gpt-4-0613"\n'
    )
    found = _findings(make_tree({"a.py": source}), catalog)
    contexts = [(f.line, f.context, f.fails) for f in found if f.text == "gpt-4-0613"]
    assert contexts == [
        (1, "docs", False),
        (2, "docs", False),
        (6, "docs", False),
        (8, "code", True),
    ]


# --- 4. local runtimes ---------------------------------------------------------------------


def test_local_runtimes_are_local_never_a_hosted_api(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    source = (
        "from langchain_ollama import ChatOllama\n"
        'llm = ChatOllama(model="llama3.2", base_url="http://localhost:11434")\n'
        'tagged = ChatOllama(model="qwen2.5:32b-instruct-q8_0")\n'
        'routed = "ollama/llama3:70b"\n'
    )
    found = _by_text(make_tree({"a.py": source}), catalog)
    assert {t: (f.platform, f.status, f.code, f.fails) for t, f in found.items()} == {
        "llama3.2": ("local", "local", "RC106", False),
        "qwen2.5:32b-instruct-q8_0": ("local", "local", "RC106", False),
        "ollama/llama3:70b": ("local", "local", "RC106", False),
    }


def test_open_weight_names_without_local_evidence_and_package_names_are_not_reported(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    files = {
        "a.py": 'name = "llama3.2"\n',
        "requirements.txt": "llama-index-core==0.12\nollama==0.4\n",
    }
    assert _findings(make_tree(files), catalog) == []


# --- 5. data is not config -----------------------------------------------------------------


MODEL_LINE = '  response: \'{"model": "gpt-4-0613"}\'\n'


def test_data_is_reported_and_never_fails(make_tree: TreeWriter, catalog: Catalog) -> None:
    record = json.dumps({"prompt": "hi", "model": "gpt-4-0613"})
    files = {
        "corpus.jsonl": record + "\n" + record + "\n",
        "tests/fixtures/reply.json": json.dumps({"model": "gpt-4-0613"}),
        "rows.csv": "id,model\n1,gpt-4-0613\n",
        "tests/cassettes/chat.yaml": "interactions:\n- request:\n    body: '{}'\n" + MODEL_LINE,
        "settings.json": json.dumps({"model": "gpt-4-0613"}),
    }
    rows = sorted((f.path, f.context, f.fails) for f in _findings(make_tree(files), catalog))
    assert rows == [
        ("corpus.jsonl", "data", False),
        ("corpus.jsonl", "data", False),
        ("rows.csv", "data", False),
        ("settings.json", "config", True),
        ("tests/cassettes/chat.yaml", "data", False),
        ("tests/fixtures/reply.json", "data", False),
    ]


def test_a_big_json_file_is_data(make_tree: TreeWriter, catalog: Catalog) -> None:
    records = [{"text": f"chunk {i} " + "x" * 300, "model": "gpt-4-0613"} for i in range(900)]
    root = make_tree({"docs_index.json": json.dumps(records, indent=1)})
    contexts = {f.context for f in _findings(root, catalog)}
    assert contexts == {"data"}


# --- 6. coverage ---------------------------------------------------------------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_git_tracked_files_are_read_even_when_ignored(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    root = make_tree(
        {
            ".gitignore": "config.py\nscratch/\n",
            "config.py": 'MODEL = "anthropic.claude-3-sonnet-20240229-v1:0"\n',
            "scratch/notes.py": 'MODEL = "gpt-4-0613"\n',
            "new.py": 'MODEL = "gpt-4o"\n',
        }
    )
    _git(root, "init", "-q")
    _git(root, "add", "-f", "config.py", ".gitignore")
    paths = sorted(f.path for f in _findings(root, catalog))
    assert paths == ["config.py", "new.py"]  # tracked though ignored; untracked not ignored


def test_notebook_outputs_only_when_asked(make_tree: TreeWriter, catalog: Catalog) -> None:
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "source": ["print('hi')\n"],
                "outputs": [{"output_type": "stream", "text": ["model: gpt-4-0613\n"]}],
            }
        ],
        "metadata": {},
    }
    root = make_tree({"nb.ipynb": json.dumps(notebook, indent=1)})
    assert _findings(root, catalog) == []
    found = _findings(root, catalog, include_outputs=True)
    assert [(f.text, f.context, f.fails) for f in found] == [("gpt-4-0613", "data", False)]


@pytest.mark.parametrize(
    ("folder", "platform"),
    [
        ("samples/azure-openai", "azure-openai"),
        ("src/Connectors.AzureOpenAI.Tests", "azure-openai"),
        ("examples/azure_openai", "azure-openai"),
        ("examples/openai", "openai"),
    ],
)
def test_a_folder_that_names_a_platform(
    make_tree: TreeWriter, catalog: Catalog, folder: str, platform: str
) -> None:
    found = _by_text(make_tree({f"{folder}/chat.py": 'MODEL = "gpt-4o"\n'}), catalog)["gpt-4o"]
    assert (found.platform, _kind(found)) == (platform, "path")
