"""Find candidate model ids in text, and say where each one stands (code, config, comment, docs).

How (see docs/scan.md, "How scan finds ids"):

1. One *anchor* regex, compiled once, finds the hyphen of every token shaped like a model
   id (``gpt-``, ``claude-``, ``…-v1:0`` and so on: a literal ``-`` followed by fixed-width
   look-behinds, which Python's regex engine scans at several hundred MB/s). A second,
   tiny regex finds the bare o-series ids (``"o1"``, ``model: o3``) that have no hyphen.
   Files with no anchor are done after that one pass.
2. Each anchor is widened to the whole token (letters, digits and ``. _ : @ / -``), then
   the token is read: URLs count only when they are API routes that carry a model id
   (``…/models/gemini-pro:generateContent``, ``bedrock-runtime…/model/<id>/invoke``);
   file names (``gpt-4-notes.md``) and filesystem paths (``runs/gpt-4-0613/out``) do not
   count; routing prefixes (``bedrock/``, ``openai:``, ``openrouter`` orgs, ``models/``,
   ``publishers/…/models/``, ARNs) stay part of the token.
3. Only files with candidates are lexed, with one small regex per language family that
   finds string literals and comments, to classify each candidate: ``code`` (inside a
   string literal; a bare identifier outside strings never counts), ``config`` (a value in
   a config format), ``comment`` or ``docs`` (Markdown/RST prose, Python docstrings).

Resolution against the catalog happens later, once per distinct token (``_judge.py``).
"""

from __future__ import annotations

import bisect
import itertools
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from recast.scan._bytes import Utf8, compile_bytes
from recast.scan._evidence import (
    Evidence,
    TextEvidence,
    collect,
    enclosing_call,
    file_evidence,
    raw_file_evidence,
)
from recast.scan._finding import Context

Kind = Literal[
    "python",
    "clike",
    "ruby",
    "shell",
    "json",
    "yaml",
    "toml",
    "ini",
    "env",
    "dockerfile",
    "hcl",
    "xml",
    "markdown",
    "rst",
    "text",
    "notebook",
    "data",
    "plain",
]


def _words(text: str) -> list[str]:
    return text.split()


# --- file kinds ----------------------------------------------------------------------------

_EXT_KIND: dict[str, Kind] = {
    "py": "python",
    "pyi": "python",
    "pyw": "python",
    "js": "clike",
    "mjs": "clike",
    "cjs": "clike",
    "jsx": "clike",
    "ts": "clike",
    "tsx": "clike",
    "mts": "clike",
    "cts": "clike",
    "go": "clike",
    "java": "clike",
    "kt": "clike",
    "kts": "clike",
    "scala": "clike",
    "groovy": "clike",
    "gradle": "clike",
    "cs": "clike",
    "rs": "clike",
    "swift": "clike",
    "c": "clike",
    "h": "clike",
    "cc": "clike",
    "cpp": "clike",
    "hpp": "clike",
    "php": "clike",
    "dart": "clike",
    "vue": "clike",
    "svelte": "clike",
    "rb": "ruby",
    "rake": "ruby",
    "gemspec": "ruby",
    "sh": "shell",
    "bash": "shell",
    "zsh": "shell",
    "fish": "shell",
    "ps1": "shell",
    "mk": "shell",
    "json": "json",
    "jsonc": "json",
    "json5": "json",
    "yaml": "yaml",
    "yml": "yaml",
    "toml": "toml",
    "ini": "ini",
    "cfg": "ini",
    "conf": "ini",
    "properties": "ini",
    "env": "env",
    "tf": "hcl",
    "tfvars": "hcl",
    "hcl": "hcl",
    "xml": "xml",
    "html": "xml",
    "htm": "xml",
    "md": "markdown",
    "mdx": "markdown",
    "markdown": "markdown",
    "rst": "rst",
    "txt": "text",
    "adoc": "text",
    "ipynb": "notebook",
    "jsonl": "data",
    "ndjson": "data",
    "csv": "data",
    "tsv": "data",
}
_NAME_KIND: dict[str, Kind] = {
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "makefile": "shell",
    "gnumakefile": "shell",
    "justfile": "shell",
    "procfile": "shell",
    "gemfile": "ruby",
    "rakefile": "ruby",
    ".env": "env",
    ".envrc": "shell",
    ".gitlab-ci.yml": "yaml",
    "jenkinsfile": "clike",
    "readme": "text",
}


def kind_of(name: str) -> Kind:
    """Pick the language family from a file name (``Dockerfile.prod``, ``.env.local`` …)."""
    base = os.path.basename(name).lower()
    if base in _NAME_KIND:
        return _NAME_KIND[base]
    if base.startswith(".env") or base.endswith(".env"):
        return "env"
    if base.startswith(("dockerfile", "containerfile")) or base.endswith(".dockerfile"):
        return "dockerfile"
    dot = base.rfind(".")
    if dot >= 0:
        return _EXT_KIND.get(base[dot + 1 :], "plain")
    return "plain"


_CONFIG_KINDS = frozenset(
    {"json", "yaml", "toml", "ini", "env", "dockerfile", "hcl", "xml", "plain"}
)
_DOC_KINDS = frozenset({"markdown", "rst", "text"})

# --- the anchor regex ----------------------------------------------------------------------

#: Text that stands right before a hyphen in a model id (``gpt``-4o, ``lama3``-70b …).
#: A look-behind only checks the end, so ``gpt`` also anchors ``chatgpt-4o-latest`` and
#: ``stral`` anchors mistral, codestral, ministral, magistral and devstral.
ANCHOR_STEMS: tuple[str, ...] = tuple(
    _words(
        """gpt o1 o3 o4 claude gemini gemma gemma2 gemma3 stral xtral lama lama2 lama3 lama4
    lama3.1 lama3.2 lama3.3 command titan nova grok deepseek qwen qwen2 qwen3 qwen2.5 Qwen
    Qwen2 Qwen3 Qwen2.5 qwq QwQ kimi moonshot glm GLM MiniMax minimax jamba j2 davinci babbage
    embedding embed bison gecko sonar whisper tts dall mimo MiMo phi Phi palmyra aya
    abab6.5s abab6.5g abab5.5s abab5.5 ernie rerank"""
    )
)
#: Text that stands right after a hyphen: Bedrock's ``-v1:0`` and legacy names.
ANCHOR_AFTER: tuple[str, ...] = (r"v\d+:\d", "bison", "gecko", "davinci", "babbage", "curie")


def _anchor_pattern() -> str:
    """``-`` then cheap one-character checks, then the stems grouped by their last letter.

    Most hyphens in text (``--flag``, `` - ``, ``x-y`` in prose) fail the first character
    class, so the look-behinds run rarely; grouping by last letter keeps each group small.
    """
    by_last: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for stem in ANCHOR_STEMS:
        by_last[stem[-1]][len(stem) + 1].append(re.escape(stem + "-"))
    groups = []
    for last, widths in sorted(by_last.items()):
        inner = "|".join(f"(?<={'|'.join(sorted(v))})" for _, v in sorted(widths.items()))
        groups.append(f"(?<={re.escape(last)}-)(?:{inner})")
    lasts = "".join(re.escape(c) for c in sorted(by_last))
    firsts = "".join(sorted({a[0] for a in ANCHOR_AFTER}))
    after = "|".join(ANCHOR_AFTER)
    return f"-(?:(?<=[{lasts}]-)(?:{'|'.join(groups)})|(?=[{firsts}])(?={after}))"


ANCHOR = re.compile(_anchor_pattern())
#: Bare o-series ids, only when quoted or a config value: ``"o1"``, ``model: o3``, ``M=o1``.
BARE = re.compile(
    r"o[134](?:(?<=[\"'`]o.)(?=[\"'`])|(?:(?<==o.)|(?<=: o.))(?=[ \t]*(?:$|\#|,|\r))"
    r"|(?<=/o.)(?=[\"'`\s,)\]]|$))",
    re.M,
)
BARE_BYTES = re.compile(BARE.pattern.encode(), re.M)

_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@/-_")
_TOKEN_RUN = re.compile(r"[A-Za-z0-9._:@/_-]*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_TRIM = "._:@/-"

#: First path segments that route to a model (LiteLLM routes, OpenRouter and Hugging Face
#: orgs, ``provider:`` spellings); any other ``dir/…`` before an id makes it a file path.
ROUTE_SEGMENTS: frozenset[str] = frozenset(
    _words(
        """openai text-completion-openai azure azure_ai azure_text anthropic bedrock
    bedrock_converse
    vertex_ai vertex_ai_beta gemini mistral codestral openrouter cohere cohere_chat deepseek xai
    groq together_ai fireworks_ai moonshot dashscope minimax zai google meta-llama mistralai x-ai
    qwen moonshotai amazon z-ai microsoft nvidia perplexity ai21 thudm 01-ai nousresearch alibaba
    baidu xiaomi inflection liquid meta ollama ollama_chat huggingface replicate sagemaker
    watsonx databricks cerebras sambanova nebius novita hyperbolic lambda_ai deepinfra
    anyscale cloudflare github_copilot github llamacpp lm_studio perplexityai
    models publishers projects v1 v1beta v1beta1 accounts"""
    )
)
#: Endings that make a token a file name rather than a model id.
FILE_EXTENSIONS: frozenset[str] = frozenset(
    _words(
        """md markdown rst txt json jsonl yaml yml toml py ipynb js ts tsx jsx csv tsv log png jpg
    jpeg gif svg html htm pdf pkl pickle parquet bin gguf safetensors out err sh bash cfg ini
    xml zip tar gz tgz npz npy pt pth ckpt onnx db sqlite env lock diff patch tex bib rs go
    java kt rb cs php mjs cjs txt mdx"""
    )
)
#: Hosts of model APIs (``api.openai.com``, ``api.anthropic.com``, Google and AWS endpoints,
#: a local gateway); documentation sites such as ``docs.anthropic.com`` are not among them.
_API_HOST = re.compile(
    r"(?:(?:[\w.-]+\.)?googleapis\.com|(?:[\w.-]+\.)?amazonaws\.com|(?:[\w-]+\.)*api\.[\w.-]+"
    r"|openrouter\.ai|localhost|127\.0\.0\.1)(?::\d+)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Token:
    """A candidate as found: ``start``/``end`` of the text as written, ``query`` to resolve."""

    start: int
    end: int
    text: str
    query: str
    bare: bool = False
    in_url: bool = False
    local_only: bool = False


def _widen(text: str, pos: int) -> tuple[int, int]:
    start = pos
    floor = max(0, pos - 400)
    while start > floor and text[start - 1] in _TOKEN_CHARS:
        start -= 1
    match = _TOKEN_RUN.match(text, pos)
    end = match.end() if match else pos
    return start, end


def _route_ok(segments: list[str]) -> bool:
    return all(s.lower() in ROUTE_SEGMENTS or _is_route_part(s) for s in segments)


def _is_route_part(segment: str) -> bool:
    # projects/<id>/locations/<loc>/publishers/<org>: any single name is allowed there.
    return segment.lower() in {"locations", "publishers", "foundation-model"}


_METHOD = re.compile(r":[a-z]+[A-Z][A-Za-z]*$|:(?:predict|invoke|streamGenerateContent)$")
#: A leading "/" starts an API path (``/v1beta/models/gemini-pro:generateContent``), not a file.
_API_PATHS = ("/v1/", "/v1beta/", "/v1beta1/", "/models/", "/model/", "/publishers/", "/projects/")


def read_token(text: str, start: int, end: int, anchor: int) -> Token | None:
    """Decide what a widened run is; ``None`` for URLs that are not API routes, paths, files."""
    raw = text[start:end]
    composed = start > 0 and text[start - 1] in "})]>"  # `${provider}/claude-3-opus`
    if raw.startswith(("./", "../", "~/")) or (
        raw.startswith("/") and not composed and not raw.startswith(_API_PATHS)
    ):
        return None  # a filesystem path: ./gpt-4-0613/run.py, /data/claude-2.1
    # Trim punctuation at both ends (sentence ends, "models/" alone, "::").
    left = len(raw) - len(raw.lstrip(_TRIM))
    right = len(raw.rstrip(_TRIM))
    if right <= left:
        return None
    start, end, raw = start + left, start + right, raw[left:right]
    if anchor < start or anchor >= end:
        return None
    method = _METHOD.search(raw, anchor - start)
    if method is not None:  # "models/gemini-pro:generateContent": keep the id only
        end = start + method.start()
        raw = raw[: method.start()]
    segment = max(raw.rfind("/", 0, anchor - start), raw.rfind(":", 0, anchor - start)) + 1
    if "_" in raw[segment:]:
        return None  # part of an identifier (claude_2_client) or a snake_case name
    scheme = _SCHEME.search(raw)
    if scheme is not None:
        return _read_url(text, start + scheme.end(), end)
    colon = raw.find(":")
    if (
        0 < colon < anchor - start
        and not raw.startswith(("arn:", "ft:"))
        and "/" not in raw[:colon]
    ):
        prefix = raw[:colon].lower()
        if not _is_colon_prefix(prefix):
            # "key:gpt-4" or "tag:claude-..." -> keep what follows the colon.
            cut = colon + 1
            while cut < len(raw) and raw[cut] in _TRIM:
                cut += 1  # "${MODEL:-gpt-4o}": the default value follows ":-"
            start += cut
            raw = raw[cut:]
    if raw.startswith("arn:"):
        return Token(start, end, raw, raw)
    if "/" in raw[anchor - start :]:
        return None  # the id-shaped part is a folder: runs/gpt-4-0613/out.json
    slash_before = raw.rfind("/", 0, anchor - start)
    if slash_before >= 0:
        segments = raw[:slash_before].split("/")
        if not _route_ok([s for i, s in enumerate(segments) if not _after_name_slot(segments, i)]):
            return None  # a file path: runs/gpt-4-0613
    dot = raw.rfind(".")
    if dot > 0 and raw[dot + 1 :].lower() in FILE_EXTENSIONS:
        return None
    return Token(start, end, raw, raw)


def _after_name_slot(segments: list[str], index: int) -> bool:
    """True for the free-form names in ``projects/<p>/locations/<l>/publishers/<org>``."""
    return index > 0 and segments[index - 1].lower() in {"projects", "locations", "accounts"}


_COLON_PREFIXES = frozenset(
    _words(
        """openai openai-chat openai-responses anthropic google-gla google_genai google gemini
    google-vertex google_vertexai google_anthropic_vertex vertex vertexai vertex_ai bedrock
    bedrock_converse azure azure_openai azure-openai mistral mistralai groq cohere deepseek xai
    openrouter together fireworks huggingface ollama"""
    )
)


def _is_colon_prefix(prefix: str) -> bool:
    return prefix in _COLON_PREFIXES


def _read_url(text: str, start: int, end: int) -> Token | None:
    """A token right after ``scheme://``: keep it only on an API route that names a model."""
    url = text[start:end]
    host, _, path = url.partition("/")
    if not _API_HOST.fullmatch(host):
        return None
    segments = path.split("/")
    for i, segment in enumerate(segments[:-1]):
        if segment in ("models", "model") and segments[i + 1]:
            name = segments[i + 1]
            offset = start + len(host) + 1 + sum(len(s) + 1 for s in segments[: i + 1])
            method = name.find(":")
            if (
                method > 0
                and re.fullmatch(r"[A-Za-z]+", name[method + 1 :])
                and not (name[method + 1 :].isdigit())
            ):
                name = name[:method]
            name = name.rstrip(_TRIM)
            if not name:
                return None
            if "amazonaws.com" in host:
                query = name
            elif segment == "models" and i >= 2 and segments[i - 2] == "publishers":
                query = f"publishers/{segments[i - 1]}/models/{name}"
            elif "googleapis.com" in host and segment == "models":
                query = f"models/{name}" if "aiplatform" not in host else name
            else:
                query = name
            return Token(offset, offset + len(name), name, query, in_url=True)
    return None


def find_tokens(text: str, utf8: Utf8 | None = None) -> list[Token]:
    """Every candidate token in ``text``, in order, each once (``utf8``: its bytes, when the
    caller has them)."""
    tokens: list[Token] = []
    last_end = -1
    for match in ANCHOR.finditer(text):
        pos = match.start()
        if pos < last_end:
            continue
        start, end = _widen(text, pos)
        token = read_token(text, start, end, pos)
        last_end = end
        if token is not None:
            tokens.append(token)
    for match in BARE.finditer(text):
        if text[match.start() - 1] == "/":  # "openai/o3", "azure/o1": a route names it
            start, _ = _widen(text, match.start())
            token = read_token(text, start, match.end(), match.start())
            if token is not None and token.start < match.start():
                tokens.append(token)
            continue
        tokens.append(Token(match.start(), match.end(), match.group(), match.group(), bare=True))
    if utf8 is None:
        utf8 = Utf8(text)
    if _LOCAL_GATE.search(utf8.data) is not None:
        tokens += _local_tokens(utf8, tokens)
    if any(later.start < earlier.start for earlier, later in itertools.pairwise(tokens)):
        tokens.sort(key=lambda t: t.start)
    return tokens


#: Words without which no local runtime is in play (``b"llama"`` covers Ollama, llama.cpp).
LOCAL_GATE: tuple[str, ...] = (
    "llama",
    "Llama",
    "vllm",
    "lm_studio",
    "lmstudio",
    "LM Studio",
    "from_pretrained",
    "11434",
    "mlx_lm",
)

#: Tags of local runtimes: a local route (``ollama/llama3:70b``) or an open-weight family
#: with a size tag (``qwen2.5:32b-instruct-q8_0``) or quoted (``"llama3.2"``). Without a
#: route these are ``local_only``: findings only where the evidence says local. The tag
#: must not follow a character of :data:`_LOCAL_EDGE` (so ``graphic`` is no ``phi`` tag).
LOCAL_TAG = compile_bytes(
    r"(?:^|[^A-Za-z0-9_./:@-])(?P<tok>(?P<route>(?:ollama(?:_chat)?|lm_studio|hosted_vllm"
    r"|llamacpp)/)?(?P<name>(?:llama|codellama|qwen|qwq|gemma|codegemma|phi|mistral|mixtral"
    r"|llava|deepseek|granite|smollm|tinyllama|starcoder|nomic-embed|mxbai-embed|gpt-oss|olmo"
    r"|falcon|command-r)[\w.-]*(?P<tag>:[\w.-]+)?))"
)
_LOCAL_GATE = compile_bytes("|".join(map(re.escape, LOCAL_GATE)))
_LOCAL_EDGE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@-")


def _local_tokens(utf8: Utf8, found: list[Token]) -> list[Token]:
    text = utf8.text
    spans = sorted((t.start, t.end) for t in found)
    starts = [a for a, _ in spans]
    out: list[Token] = []
    for match in LOCAL_TAG.finditer(utf8.data):
        start, end = utf8.char(match.start(1)), utf8.char(match.end(1))  # (?P<tok>...)
        if text[end : end + 1] in _LOCAL_EDGE:
            continue
        if end < len(text) and text[end - 1] in ".-:":
            continue
        near = bisect.bisect_left(starts, end) - 1
        if near >= 0 and spans[near][1] > start:
            continue
        routed = match.start(2) >= 0  # (?P<route>...)
        quoted = start > 0 and text[start - 1] in "\"'`" and text[end : end + 1] in "\"'`"
        if not (routed or match.start(4) >= 0 or quoted):  # (?P<tag>...)
            continue
        raw = text[start:end]
        out.append(Token(start, end, raw, raw, local_only=not routed))
    return out


def _prefilter() -> Any:
    """One RE2 pattern on bytes that matches where :data:`ANCHOR` or a :data:`LOCAL_GATE`
    word does: the anchor's look-behinds become plain ``stem-`` alternatives, which RE2's
    DFA runs in one pass (``re`` with look-behinds plus nine ``in`` tests: 2.3x longer)."""
    stems = sorted(set(ANCHOR_STEMS), key=len, reverse=True)
    parts = [f"(?:{'|'.join(map(re.escape, stems))})-", f"-(?:{'|'.join(ANCHOR_AFTER)})"]
    parts += map(re.escape, LOCAL_GATE)
    return compile_bytes("|".join(parts))


_PREFILTER = _prefilter()
#: A superset of :data:`BARE` for RE2, confirmed with ``BARE`` itself where it matches.
_BARE_HINT = compile_bytes(r"[\"'`]o[134][\"'`]|=o[134]|: o[134]|/o[134]")


def has_anchor(data: bytes, kind: str = "plain") -> bool:
    """Cheap pre-filter on raw bytes: could this file hold a model id at all?

    Bare o-series ids never count in prose, so docs files skip that second pass."""
    if _PREFILTER.search(data) is not None:
        return True
    return (
        kind not in _DOC_KINDS
        and _BARE_HINT.search(data) is not None
        and BARE_BYTES.search(data) is not None
    )


# --- lexing: strings and comments ----------------------------------------------------------

_STR_D = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
_STR_S = r"'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
_STR_B = r"`[^`\\]*(?:\\.[^`\\]*)*`"
_TRIPLE_D = r'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
_TRIPLE_S = r"'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
_HASH = r"(?:(?<=[\s;])|^)\#[^\n]*"

_Rule = tuple["re.Pattern[str]", str]


def _table(
    rules: dict[str, list[tuple[str, str, int]]],
) -> tuple[re.Pattern[str], dict[str, list[_Rule]]]:
    """A lexer: a charset regex that jumps to the next interesting character, and per
    character the patterns (anchored there) to try in order. Jumping and then matching one
    short pattern is several times faster than one big alternation, which Python's regex
    engine would try at every position."""
    compiled = {
        char: [(re.compile(pattern, flags), group) for pattern, group, flags in items]
        for char, items in rules.items()
    }
    jump = re.compile("[" + "".join(re.escape(c) for c in rules) + "]")
    return jump, compiled


_S, _M = re.S, re.M
_PYTHON_RULES: dict[str, list[tuple[str, str, int]]] = {
    "#": [(r"\#[^\n]*", "c", 0)],
    '"': [(_TRIPLE_D, "t", _S), (_STR_D, "s", 0)],
    "'": [(_TRIPLE_S, "t", _S), (_STR_S, "s", 0)],
}
_CLIKE_RULES: dict[str, list[tuple[str, str, int]]] = {
    "/": [(r"//[^\n]*|/\*.*?\*/", "c", _S)],
    '"': [(_TRIPLE_D, "s", _S), (_STR_D, "s", 0)],
    "'": [(_STR_S, "s", 0)],
    "`": [(_STR_B, "s", _S)],
    "@": [("@" + _STR_D, "s", 0)],
}
_LEXERS: dict[str, tuple[re.Pattern[str], dict[str, list[_Rule]]]] = {
    "python": _table(_PYTHON_RULES),
    "clike": _table(_CLIKE_RULES),
    "ruby": _table(
        {
            "=": [(r"^=begin.*?^=end", "c", _S | _M)],
            "#": [(r"\#[^\n]*", "c", 0)],
            '"': [(_STR_D, "s", 0)],
            "'": [(_STR_S, "s", 0)],
            "`": [(_STR_B, "s", _S)],
            "%": [(r"%[qQwWiI]?(?:\([^)]*\)|\[[^\]]*\]|\{[^}]*\}|<[^>]*>|\|[^|]*\|)", "s", 0)],
        }
    ),
    "shell": _table({"#": [(_HASH, "c", _M)], '"': [(_STR_D, "s", 0)], "'": [(_STR_S, "s", 0)]}),
    "hcl": _table(
        {
            "#": [(_HASH, "c", _M)],
            "/": [(r"//[^\n]*|/\*.*?\*/", "c", _S)],
            '"': [(_STR_D, "s", 0)],
        }
    ),
    "xml": _table({"<": [(r"<!--.*?-->", "c", _S)]}),
}


@dataclass
class _Regions:
    text: str = ""
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    groups: list[str | None] = field(default_factory=list)

    def at(self, pos: int) -> str | None:
        index = bisect.bisect_right(self.starts, pos) - 1
        if index < 0 or pos >= self.ends[index]:
            return None
        group = self.groups[index]
        if group == "c":
            return "comment"
        if group == "t" and _is_docstring(self.text, self.starts[index], self.ends[index]):
            return "docs"
        return "string"


def _is_docstring(text: str, start: int, end: int) -> bool:
    """A triple-quoted string that is a statement of its own (module, class, function and
    attribute docstrings), not a value assigned or passed (``PROMPT = \"\"\"...``)."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip() not in ("", "r", "u", "R", "U"):
        return False
    line_end = text.find("\n", end)
    after = text[end : line_end if line_end >= 0 else len(text)].strip()
    if after and not after.startswith("#"):
        return False
    before = text[:line_start].rstrip()
    while before:
        last_line = before[before.rfind("\n") + 1 :].strip()
        if last_line.startswith(("#", "@")):
            before = before[: before.rfind("\n") + 1].rstrip() if "\n" in before else ""
            continue
        return last_line.endswith(":") or not last_line.endswith(
            ("(", "[", "{", ",", "=", "+", "\\")
        )
    return True  # module docstring


def _regions(
    text: str, kind: str, until: int, start_at: int = 0, regions: _Regions | None = None
) -> _Regions:
    """Strings and comments of ``text`` from ``start_at`` up to the one that holds position
    ``until`` (appended to ``regions`` when given, which must end before ``start_at``)."""
    if regions is None:
        regions = _Regions(text)
    starts, ends, groups = regions.starts, regions.ends, regions.groups
    lexer = _LEXERS.get(kind)
    if lexer is None:
        return regions
    jump, rules = lexer
    search = jump.search
    pos = start_at
    while True:
        found = search(text, pos)
        if found is None:
            break
        start = found.start()
        if start > until:
            break
        pos = start + 1
        for pattern, group in rules[text[start]]:
            match = pattern.match(text, start)
            if match is not None and match.end() > start:
                starts.append(start)
                ends.append(match.end())
                groups.append(group)
                pos = match.end()
                break
    return regions


#: Config formats whose comments are read from the line alone (no multi-line strings that
#: matter), which keeps big JSON/YAML files from being lexed whole.
_LINE_LOCAL = frozenset({"json", "yaml", "toml", "ini", "env", "dockerfile"})


_LINE_COMMENT = {
    "json": re.compile(r"[ \t]*//"),
    "ini": re.compile(r"[ \t]*[#;]"),
    "dockerfile": re.compile(r"[ \t]*\#"),
}


def _line_region(text: str, pos: int, kind: str) -> str | None:
    """``comment`` when ``pos`` stands in a comment of its line, else ``None``.

    Never copies more than the part of the line before ``pos``, and only when that part
    holds a ``#`` (single-line minified JSON files can be megabytes long)."""
    line_start = text.rfind("\n", 0, pos) + 1
    whole_line = _LINE_COMMENT.get(kind)
    if whole_line is not None:
        return "comment" if whole_line.match(text, line_start) else None
    if text.find("#", line_start, pos) < 0:
        return None
    quote = ""
    previous = " "
    for char in text[line_start:pos]:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#" and previous in " \t":
            return "comment"
        previous = char
    return None


#: Keyword arguments and names whose strings are documentation: CLI help and epilogs,
#: descriptions, usage examples.
_HELP_ASSIGN = re.compile(
    r"\b(?:help|short_help|description|epilog|usage|examples?|metavar"
    r"|[A-Z_]*(?:EPILOG|HELP|USAGE|EXAMPLES?))="
)
_ANY_ASSIGN = re.compile(r"(?:^|[(,])[ \t]*(\w+)[ \t]*=(?!=)", re.M)


def is_help_text(text: str, pos: int) -> bool:
    """Whether a string in code documents rather than calls: the last assignment or
    keyword before it is ``help=``, ``description=``, ``epilog=``, ``EPILOG =``, …, or it is
    the message of a ``raise`` (``raise ValueError("… e.g. gpt-4-0613")``)."""
    names = [m.group(1) for m in _ANY_ASSIGN.finditer(text, max(0, pos - 800), pos)]
    if names and _HELP_ASSIGN.fullmatch(names[-1] + "="):
        return True
    at = pos
    for _ in range(3):  # the message may sit in f-strings and calls inside the raise
        call = enclosing_call(text, at)
        if call is None:
            return False
        if text[call[0] : text.find("\n", call[0])].lstrip().startswith("raise "):
            return True
        at = call[0]
    return False


def context_at(kind: str, region: str | None) -> Context | None:
    """The context of a position from its file kind and lexical region; ``None``: not an id."""
    if kind in _DOC_KINDS:
        return "docs"
    if kind == "data":
        return "data"
    if region == "comment":
        return "comment"
    if region == "docs":
        return "docs"
    if kind in _CONFIG_KINDS:
        return "config"
    if kind == "shell":
        return "code"
    if region == "string":
        return "code"
    return None  # an identifier or expression outside any string literal


# --- suppression comments ------------------------------------------------------------------

_IGNORE = re.compile(r"recast:\s*ignore(?P<next>-next-line)?(?:\[(?P<ids>[^\]]*)\])?")
_IGNORE_FILE = re.compile(r"recast:\s*ignore-file\b")
ALL = "*"


def _inside_directive(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    return any(m.start() <= pos - line_start < m.end() for m in _IGNORE.finditer(line))


def _ignores_on(line: str, next_line: bool) -> frozenset[str] | None:
    found: set[str] = set()
    hit = False
    for match in _IGNORE.finditer(line):
        if bool(match.group("next")) != next_line:
            continue
        if line[match.end() : match.end() + 5] == "-file":
            continue
        hit = True
        ids = match.group("ids")
        if ids is None or not ids.strip():
            found.add(ALL)
        else:
            found.update(part.strip() for part in ids.split(",") if part.strip())
    return frozenset(found) if hit else None


# --- per-file results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One id-shaped token in one file, before the catalog is consulted."""

    line: int
    column: int
    end_column: int
    text: str
    query: str
    context: Context
    line_text: str
    bare: bool = False
    cell: int | None = None
    cell_line: int | None = None
    ignore: frozenset[str] | None = None
    #: Platform evidence around the token, nearest first (see ``_evidence.py``).
    evidence: tuple[Evidence, ...] = ()
    #: A local-runtime tag (``llama3.2``, ``qwen2.5:32b``): a finding only where the
    #: evidence says the platform is local.
    local_only: bool = False


@dataclass
class FileScan:
    """What the finder read in one file."""

    rel: str
    size: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    #: Strong platform evidence anywhere in the file (not collected for docs and data).
    file_evidence: tuple[Evidence, ...] = ()
    skip_reason: str | None = None
    note: str | None = None
    #: Identifies the content (a digest, with what else decides what the finder reads):
    #: files with the same one hold the same candidates. ``None``: not known.
    content: tuple[object, ...] | None = None


def _line_index(text: str) -> list[int]:
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


class _Lines:
    """Line/column lookups for a few positions without indexing big files."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None
        self._count = 0
        self._last = (0, 1)  # (position, its line): lookups mostly come in file order

    def locate(self, pos: int) -> tuple[int, int]:
        self._count += 1
        if self._starts is None and self._count > 16:
            self._starts = _line_index(self.text)
        if self._starts is not None:
            index = bisect.bisect_right(self._starts, pos) - 1
            return index + 1, pos - self._starts[index] + 1
        last_pos, last_line = self._last if pos >= self._last[0] else (0, 1)
        line = last_line + self.text.count("\n", last_pos, pos)
        self._last = (pos, line)
        return line, pos - (self.text.rfind("\n", 0, pos) + 1) + 1

    def line_text(self, pos: int, window: int = 240) -> str:
        """The line holding ``pos``; for a very long line (minified files) only ``window``
        characters either side of ``pos``."""
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        if end < 0:
            end = len(self.text)
        if end - start > 2 * window:
            start, end = max(start, pos - window), min(end, pos + window)
        return self.text[start:end].rstrip("\r")

    def previous_line(self, pos: int) -> str:
        start = self.text.rfind("\n", 0, pos)
        if start <= 0:
            return ""
        return self.line_text(start - 1)


_KEY_AFTER = re.compile(r"[\"'`]\s*:")


def _is_key(text: str, token: Token, context: str) -> bool:
    """A bare o-series id used as a mapping key in code (``{"o1": "first"}``) is a label."""
    return context == "code" and _KEY_AFTER.match(text, token.end) is not None


#: What can open a string or comment that spans lines, per lexer. When none of these occur
#: before the last candidate, every string and comment ends on its own line, so lexing just
#: the candidates' lines gives exactly what lexing the whole file would.
_MULTILINE_OPENERS: dict[str, tuple[str, ...]] = {
    "python": ('"""', "'''"),
    "clike": ("/*", "`", '"""'),
    "ruby": ("=begin", "`", "%"),
    "shell": (),
    "hcl": ("/*",),
    "xml": ("<!--",),
}


def _single_line_only(text: str, kind: str, until: int) -> bool:
    openers = _MULTILINE_OPENERS.get(kind)
    if openers is None:
        return False
    line_end = text.find("\n", until)
    limit = len(text) if line_end < 0 else line_end
    return all(text.find(opener, 0, limit) < 0 for opener in openers)


def _line_regions(text: str, kind: str, tokens: list[Token]) -> _Regions:
    """Lex only the lines that hold candidates (see :data:`_MULTILINE_OPENERS`)."""
    regions = _Regions(text)
    done = -1
    for token in tokens:
        line_start = text.rfind("\n", 0, token.start) + 1
        if line_start <= done:
            continue
        line_end = text.find("\n", token.start)
        if line_end < 0:
            line_end = len(text)
        _regions(text, kind, line_end, line_start, regions)
        done = line_start
    return regions


def find_in_text(
    text: str, kind: str, *, force_full: bool = False, utf8: Utf8 | None = None
) -> list[tuple[Token, Context, frozenset[str] | None]]:
    """Candidates of one text (a file or a notebook cell), each with context and ignores.

    ``force_full`` lexes the whole text even where the candidates' lines would do (tests);
    ``utf8``: the text's bytes, when the caller has them.
    """
    tokens = find_tokens(text, utf8)
    if not tokens:
        return []
    local = kind in _LINE_LOCAL
    if kind in _DOC_KINDS or kind == "data" or local:
        regions = _Regions()
    elif not force_full and _single_line_only(text, kind, tokens[-1].start):
        regions = _line_regions(text, kind, tokens)
    else:
        regions = _regions(text, kind, tokens[-1].start)
    lines = _Lines(text)
    has_marker = "recast:" in text
    file_ignored = has_marker and _IGNORE_FILE.search(text) is not None
    out: list[tuple[Token, Context, frozenset[str] | None]] = []
    for token in tokens:
        region = _line_region(text, token.start, kind) if local else regions.at(token.start)
        context = context_at(kind, region)
        if context is None:
            continue
        if context == "code" and is_help_text(text, token.start):
            context = "docs"
        if token.bare and (context in ("comment", "docs", "data") or _is_key(text, token, context)):
            continue
        if has_marker and _inside_directive(text, token.start):
            continue  # the id named in "recast: ignore[gpt-4-0613]" itself
        ignore: frozenset[str] | None = frozenset({ALL}) if file_ignored else None
        if ignore is None and has_marker:
            own = _ignores_on(lines.line_text(token.start), next_line=False)
            previous = _ignores_on(lines.previous_line(token.start), next_line=True)
            if own is not None or previous is not None:
                ignore = (own or frozenset()) | (previous or frozenset())
        out.append((token, context, ignore))
    return out


#: Folders whose files are data (corpora, fixtures, recorded transcripts), not configuration.
DATA_DIRS: frozenset[str] = frozenset(
    _words(
        """data datasets dataset fixtures fixture cassettes recordings recorded transcripts
    snapshots __snapshots__ testdata test_data golden goldens _data"""
    )
)
#: JSON/YAML/XML files larger than this are data: configuration is small.
DATA_MIN_BYTES = 256 * 1024
_CASSETTE = re.compile(r"^interactions:\s*$", re.M)


def in_data_folder(rel: str) -> bool:
    """Whether a folder of ``rel`` is one of :data:`DATA_DIRS`."""
    return any(part in DATA_DIRS for part in rel.lower().split("/")[:-1])


def is_data(rel: str, kind: str, text: str) -> bool:
    """Whether a file is data rather than configuration (docs/scan.md, "Context").

    By kind (``.jsonl``, ``.csv``, ``.tsv``), by path (a folder in
    :data:`DATA_DIRS`), by size (a JSON/YAML/XML file over :data:`DATA_MIN_BYTES`) or by
    shape (a recorded HTTP transcript: a YAML document with top-level ``interactions:``).
    """
    if kind == "data":
        return True
    if kind not in ("json", "yaml", "xml", "toml", "plain"):
        return False
    if in_data_folder(rel):
        return True
    if len(text) > DATA_MIN_BYTES:
        return True
    return kind == "yaml" and _CASSETTE.search(text, 0, 4096) is not None


def scan_text(text: str, kind: str, rel: str, include_outputs: bool = False) -> FileScan:
    """Find candidates in the decoded text of one file, with the platform evidence of each."""
    result = FileScan(rel=rel)
    if kind == "notebook":
        _scan_notebook(text, result, include_outputs)
        return result
    if is_data(rel, kind, text):
        kind = "data"
    utf8 = Utf8(text)
    found = find_in_text(text, kind, utf8=utf8)
    if not found:
        return result
    lines = _Lines(text)

    def line_of(pos: int) -> int:
        return lines.locate(pos)[0]

    pieces = TextEvidence(utf8, line_of)
    for token, context, ignore in found:
        line, column = lines.locate(token.start)
        result.candidates.append(
            Candidate(
                line=line,
                column=column,
                end_column=column + (token.end - token.start),
                text=token.text,
                query=token.query,
                context=context,
                line_text=lines.line_text(token.start),
                bare=token.bare,
                ignore=ignore,
                evidence=collect(pieces, token.start, token.end, data=kind == "data"),
                local_only=token.local_only,
            )
        )
    if kind not in _DOC_KINDS and kind != "data":
        result.file_evidence = file_evidence(pieces)
    return result


# --- notebooks -----------------------------------------------------------------------------


class _JStr(str):
    """A JSON string that remembers where it stood in the raw text (quotes included)."""

    start: int
    end: int


_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


class NotebookError(ValueError):
    """A notebook that is not valid JSON or not shaped like one."""


def _after_item(text: str, pos: int, close: str) -> tuple[int, bool]:
    """Past an object member or array item: ``(after the ',', False)`` when more follow,
    ``(after the closing bracket, True)`` at the end."""
    pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    if text.startswith(",", pos):
        return pos + 1, False
    if text.startswith(close, pos):
        return pos + 1, True
    raise NotebookError(f"expected ',' or {close!r} at offset {pos}")


@dataclass(frozen=True)
class _Located:
    """A value read by the C decoder, and where it starts in the raw text (its strings'
    positions are parsed again only when it holds a candidate)."""

    value: Any
    start: int


#: What of a notebook to parse here (a key's sub-schema; ``None``: all of it, with the
#: strings' positions; ``LOCATE``: a :class:`_Located`; a list's items share its schema);
#: any other value is read by the C decoder, 10x faster. Cell sources are found first and
#: positioned only when they hold a candidate (bedrock-samples: 300 notebooks, 135,000
#: source lines: 1.09 s -> 0.47 s to read them all).
LOCATE = "locate"
Schema = dict[str, "Schema | str | None"]
_SOURCES: Schema = {"cells": {"source": LOCATE}}
_SOURCES_AND_OUTPUTS: Schema = {"cells": {"source": LOCATE, "outputs": None}}
_DECODER = json.JSONDecoder()


def _parse_json(
    text: str, pos: int = 0, depth: int = 0, schema: Schema | str | None = None
) -> tuple[Any, int]:
    """One JSON value from ``text[pos:]``, its strings as :class:`_JStr` where ``schema``
    asks for positions."""
    if depth > 200:
        raise NotebookError("nested too deeply")
    pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    if pos >= len(text):
        raise NotebookError("unexpected end of file")
    char = text[pos]
    if schema == LOCATE:
        value, end = _DECODER.raw_decode(text, pos)
        return _Located(value, pos), end
    if schema is not None and char not in "{[":
        return _DECODER.raw_decode(text, pos)
    if char == '"':
        value, end = _scanstring(text, pos + 1, True)
        node = _JStr(value)
        node.start, node.end = pos, end
        return node, end
    if char == "{":
        obj: dict[str, Any] = {}
        pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
        if text.startswith("}", pos):
            return obj, pos + 1
        while True:
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            if not text.startswith('"', pos):
                raise NotebookError(f"expected a key at offset {pos}")
            key, pos = _scanstring(text, pos + 1, True)
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            if not text.startswith(":", pos):
                raise NotebookError(f"expected ':' at offset {pos}")
            if schema is None:
                obj[key], pos = _parse_json(text, pos + 1, depth + 1)
            elif isinstance(schema, dict) and key in schema:
                obj[key], pos = _parse_json(text, pos + 1, depth + 1, schema[key])
            else:
                start = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
                obj[key], pos = _DECODER.raw_decode(text, start)
            pos, done = _after_item(text, pos, "}")
            if done:
                return obj, pos
    if char == "[":
        items: list[Any] = []
        pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
        if text.startswith("]", pos):
            return items, pos + 1
        while True:
            item, pos = _parse_json(text, pos, depth + 1, schema)
            items.append(item)
            pos, done = _after_item(text, pos, "]")
            if done:
                return items, pos
    for literal, value in (("true", True), ("false", False), ("null", None)):
        if text.startswith(literal, pos):
            return value, pos + len(literal)
    number = _NUMBER.match(text, pos)
    if number:
        return float(number.group()), number.end()
    raise NotebookError(f"unexpected {char!r} at offset {pos}")


def _raw_offset(raw: str, decoded_index: int) -> int:
    """Index in the raw JSON string body of the ``decoded_index``-th decoded character."""
    i = 0
    d = 0
    while d < decoded_index and i < len(raw):
        if raw[i] == "\\":
            if raw[i + 1] == "u":
                code = int(raw[i + 2 : i + 6], 16)
                if 0xD800 <= code < 0xDC00 and raw[i + 6 : i + 8] == "\\u":
                    i += 12
                else:
                    i += 6
            else:
                i += 2
        else:
            i += 1
        d += 1
    return i


def _scan_notebook(text: str, result: FileScan, include_outputs: bool = False) -> None:
    try:
        schema = _SOURCES_AND_OUTPUTS if include_outputs else _SOURCES
        document, end = _parse_json(text, schema=schema)
        if _WS.match(text, end).end() != len(text):  # type: ignore[union-attr]
            raise NotebookError(f"extra data at offset {end}")
    except RecursionError:
        result.skip_reason = "malformed notebook (nested too deeply)"
        return
    except (NotebookError, ValueError) as exc:
        result.skip_reason = f"malformed notebook ({exc})"
        return
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        result.skip_reason = "malformed notebook (no 'cells' list)"
        return
    language = "python"
    metadata = document.get("metadata")
    if isinstance(metadata, dict):
        info = metadata.get("language_info") or metadata.get("kernelspec") or {}
        if isinstance(info, dict):
            language = str(info.get("name") or info.get("language") or "python").lower()
    code_kind = kind_of(f"x.{_NOTEBOOK_EXT.get(language, 'py')}")
    raw_lines = _Lines(text)
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        kind = code_kind if cell.get("cell_type") == "code" else "markdown"
        _cell_candidates(text, cell.get("source"), kind, index, raw_lines, result)
        outputs = cell.get("outputs") if include_outputs else None
        for output in outputs if isinstance(outputs, list) else ():
            if not isinstance(output, dict):
                continue
            data = output.get("data")
            plain = data.get("text/plain") if isinstance(data, dict) else None
            for parts in (output.get("text"), plain):
                _cell_candidates(text, parts, "data", index, raw_lines, result)
    if result.candidates:
        result.file_evidence = raw_file_evidence(text, lambda pos: raw_lines.locate(pos)[0])


def _cell_candidates(
    text: str, source: Any, kind: str, index: int, raw_lines: _Lines, result: FileScan
) -> None:
    """Candidates of one notebook cell's source (or one output's text, as ``data``)."""
    located = source if isinstance(source, _Located) else None
    if located is not None:
        source = located.value
    parts: Any = [source] if isinstance(source, str) else source
    if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
        return
    decoded = "".join(parts)
    utf8 = Utf8(decoded)
    found = find_in_text(decoded, kind, utf8=utf8)
    if not found:
        return
    if located is not None:
        source = _parse_json(text, located.start)[0]
        parts = [source] if isinstance(source, str) else source
    strings: list[_JStr] = parts  # positioned now: every part is a _JStr
    offsets = []
    total = 0
    for part in parts:
        offsets.append(total)
        total += len(part)

    def raw_position(pos: int) -> int:
        which = bisect.bisect_right(offsets, pos) - 1
        part = strings[which]
        body = text[part.start + 1 : part.end - 1]
        return int(part.start + 1 + _raw_offset(body, pos - offsets[which]))

    def line_of(pos: int) -> int:
        return raw_lines.locate(raw_position(pos))[0]

    cell_lines = _Lines(decoded)
    pieces = TextEvidence(utf8, line_of)
    for token, context, ignore in found:
        raw_pos = raw_position(token.start)
        if text[raw_pos : raw_pos + len(token.text)] != token.text:
            continue  # the id itself was written with escapes: not a plain reference
        line, column = raw_lines.locate(raw_pos)
        cell_line, _ = cell_lines.locate(token.start)
        result.candidates.append(
            Candidate(
                line=line,
                column=column,
                end_column=column + len(token.text),
                text=token.text,
                query=token.query,
                context=context,
                line_text=cell_lines.line_text(token.start),
                bare=token.bare,
                cell=index,
                cell_line=cell_line,
                ignore=ignore,
                evidence=collect(pieces, token.start, token.end, kind != "data", kind == "data"),
                local_only=token.local_only,
            )
        )


_NOTEBOOK_EXT = {
    "python": "py",
    "python3": "py",
    "javascript": "js",
    "typescript": "ts",
    "r": "py",
    "julia": "py",
    "bash": "sh",
    "ruby": "rb",
    "go": "go",
    "rust": "rs",
    "scala": "scala",
    "java": "java",
    "kotlin": "kt",
    "csharp": "cs",
}
