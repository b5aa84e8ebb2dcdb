"""Evidence of the platform a reference is called on, from the text nearest to it.

A model id rarely says where it is served (``claude-3-haiku-20240307`` runs on the
Anthropic API, Bedrock with another spelling, Vertex with another again), so the scan
reads what surrounds it, nearest first (docs/scan.md, "Platform"):

``call``
    the call or constructor the id is passed to, with its arguments
    (``AnthropicBedrock().messages.create(model=…)``, ``genai.Client(vertexai=True)``);
``client``
    the constructor of the object the call is made on (``client = AzureOpenAI(…)`` …
    ``client.chat.completions.create(model=…)``);
``mapping``
    the mapping the id is a value of, with its key's line (``"OpenAIEmbeddings": {…}`` in
    JSON, a dict or object literal), before the call when it stands inside it;
``use``
    the calls a variable holding the id is passed to (``MODEL = "…"`` … ``ChatBedrock(
    model_id=MODEL)``);
``block``
    the paragraph around it: the lines up to the nearest blank line (a YAML mapping, a
    dict literal, an ``.env`` group, a Markdown paragraph or code block);
``cell``
    the notebook cell;
``file``
    the whole file, from *strong* evidence only (SDK imports, client classes, API hosts;
    never a word in prose), and never in docs or data files.

Each piece of evidence is a ``(level, platform, line, text)`` tuple; the judge keeps the
nearest level that names a platform the id can be served on. Patterns match lower-case
text, so ``ChatBedrock`` and ``chatbedrock`` are one.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from recast.scan._bytes import Utf8, compile_bytes

#: ``(level, platform, line, text as matched)``.
Evidence = tuple[str, str, int, str]

#: What a connector class or function does, after its provider's name.
_CAPABILITIES = (
    r"(?:chat|text|client|embedding|assistant|response|audio|realtime|llm|agent|image|speech"
    r"|generator|completion|prompt|language)\w*"
)


def _connector(provider: str) -> str:
    """A connector named after ``provider`` in any SDK or framework, as one identifier:
    ``OpenAIChatCompletionService``, ``AddOpenAIChatCompletion`` (.NET), ``OpenAiChatModel``
    (Java), ``OpenAIEmbedding``, ``OpenAITextEmbedding`` (Python), ``"OpenAIEmbeddings":``
    (a settings key). The name must start the identifier (after a verb at most), so
    ``AzureOpenAIChatCompletion`` is Azure's, not OpenAI's."""
    return rf"(?:^|[^a-z]|\badd|\bwith|\buse)(?:{provider}){_CAPABILITIES}"


#: (platform, strong, pattern). Strong evidence counts file-wide; weak only near the id.
_TABLE: tuple[tuple[str, bool, str], ...] = (
    (
        "bedrock",
        True,
        r"bedrock[-_]?runtime|chatbedrock|bedrock(?:chat|llm|embeddings|model|converse)\b"
        r"|anthropicbedrock|invoke_model|\.converse(?:_stream)?\(|langchain[_-]aws"
        r"|client-bedrock|bedrock[-_]agent|\bboto3\b|@ai-sdk/amazon-bedrock|"
        + _connector("bedrock"),
    ),
    # boto3's modelId=, JSON's "modelId": (not a variable, nor a named argument modelId:)
    ("bedrock", False, r"\bmodelid\b(?:[\"']\s*:|=)|\bbedrock\b"),
    (
        "vertex",
        True,
        # The switches of Google's SDKs first, so the judge can tell them (VERTEX_SWITCH).
        r"vertexai\s*[=:]\s*true|vertexai\.init|(?:import|from) vertexai"
        r"|vertexai|aiplatform|anthropicvertex|chatvertex|vertex_ai_(?:project|location)"
        r"|google[-_]cloud/vertexai"
        r"|use_vertexai|enterprise\s*=\s*true|model[-_ ]garden|@ai-sdk/google-vertex",
    ),
    ("vertex", False, r"\bvertex\b|gemini enterprise"),
    (
        "gemini-api",
        True,
        r"google\.generativeai|google-generativeai|generativelanguage|chatgooglegenerativeai"
        r"|google/generative-ai|gemini_api_key|genai\.configure|aistudio\.google|genai\.client\("
        r"|@ai-sdk/google|" + _connector("google(?:ai)?gemini|googleai"),
    ),
    ("gemini-api", False, r"google ai studio|\bgemini api\b|google-generativeai"),
    (
        "azure-openai",
        True,
        r"azureopenai|azurechatopenai|azure_endpoint|\.openai\.azure\.com|azure_openai"
        r"|azure_deployment|azure_ad_token|api_type\s*=\s*[\"']azure|@ai-sdk/azure|createazure\("
        # Semantic Kernel's Python connectors: AzureChatCompletion, AzureTextEmbedding, ...
        r"|\bazure(?:chat|text|audio)(?:completion|embedding|prompt|to)",
    ),
    ("azure-openai", False, r"\bazure\b|azurekeycredential"),
    ("openrouter", True, r"openrouter\.ai|openrouter_api_key|chatopenrouter"),
    ("openrouter", False, r"\bopenrouter\b"),
    (
        "openai",
        True,
        r"\bopenai\(|chatopenai\(|openai_api_key|api\.openai\.com|@ai-sdk/openai|createopenai\("
        r"|" + _connector("openai"),
    ),
    ("openai", False, r"[\"']openai[\"']|\bopenai (?:api|sdk)\b"),
    (
        "anthropic",
        True,
        r"\banthropic\(|chatanthropic\(|anthropic_api_key|api\.anthropic\.com"
        r"|claudesdkclient|claudecodeoptions|claude_agent_sdk|@anthropic-ai/sdk|@ai-sdk/anthropic"
        r"|" + _connector("anthropic"),
    ),
    ("anthropic", False, r"[\"']anthropic[\"']|\banthropic api\b"),
    (
        "mistral",
        True,
        r"\bmistral\(|mistralclient|chatmistralai|mistral_api_key|api\.mistral\.ai"
        r"|from mistralai|@ai-sdk/mistral|" + _connector("mistral(?:ai)?"),
    ),
    ("cohere", True, r"cohere\.client|chatcohere|cohere_api_key|co_api_key|import cohere\b"),
    ("deepseek", True, r"api\.deepseek\.com|deepseek_api_key"),
    ("xai", True, r"api\.x\.ai|xai_api_key"),
    ("groq", True, r"\bgroq\(|chatgroq|groq_api_key|api\.groq\.com"),
    ("together", True, r"together_api_key|api\.together\.xyz"),
    ("fireworks", True, r"fireworks_api_key|api\.fireworks\.ai"),
    (
        "local",
        True,
        r"ollama|localhost:11434|llama_cpp|llama-cpp|llamacpp|\bvllm\b|lmstudio|lm studio"
        r"|localhost:1234|from_pretrained\(|mlx_lm",
    ),
)


def _compile(strong_only: bool) -> tuple[Any, list[str], list[bool]]:
    """One alternation, a group per table row, case-insensitive (so positions stay those of
    the text as written). RE2 runs it in linear time, 20-30x faster than ``re``."""
    parts, platforms, strongs = [], [], []
    for platform, strong, pattern in _TABLE:
        if strong_only and not strong:
            continue
        parts.append(f"({pattern})")
        platforms.append(platform)
        strongs.append(strong)
    return compile_bytes("(?i)" + "|".join(parts)), platforms, strongs


_ANY, _ANY_PLATFORMS, _ANY_STRONG = _compile(strong_only=False)
#: Compiled on first use (only notebooks need it): 0.6 ms of every start-up otherwise.
_strong = functools.cache(lambda: _compile(strong_only=True))

#: When both occur in one scope, the first names the platform and the second is how it is
#: reached: the OpenAI SDK pointed at OpenRouter, Azure or a local server, Google's SDK
#: with ``vertexai=True``.
OVERRIDES: dict[str, frozenset[str]] = {
    "openrouter": frozenset({"openai"}),
    "azure-openai": frozenset({"openai"}),
    "vertex": frozenset({"gemini-api"}),
    "local": frozenset({"openai"}),
}


class TextEvidence:
    """Every piece of evidence in one text, found in one pass and shared by all its candidates.

    Scanning each candidate's call, block and uses separately read the same characters
    many times over (crewAI: 57,000 candidates, 9 s of a 15 s scan); one RE2 pass per file
    and a bisect per scope give the same pieces (a piece counts in a scope when it lies
    wholly inside it). ``line_of`` gives a position's line (computed once per piece).
    """

    def __init__(self, text: Utf8, line_of: LineOf) -> None:
        self.text = text.text
        self.line_of = line_of
        #: ``(start, end, platform, strong)`` of each piece, in text order.
        self.hits: list[tuple[int, int, str, bool]] = list(_scan_all(text))
        self.starts = [hit[0] for hit in self.hits]
        self.spans: SpanCache = {}
        self._lines: dict[int, int] = {}

    def any_in(self, start: int, end: int) -> bool:
        """Whether a piece starts in ``[start, end)`` (cheap: one bisect)."""
        index = bisect.bisect_left(self.starts, start)
        return index < len(self.starts) and self.starts[index] < end

    def within(self, start: int, end: int) -> list[tuple[str, int, str]]:
        """``(platform, position, text as written)`` of every piece inside ``[start, end)``."""
        lo = bisect.bisect_left(self.starts, start)
        hi = bisect.bisect_left(self.starts, end, lo)
        text = self.text
        return [(p, at, text[at:stop]) for at, stop, p, _ in self.hits[lo:hi] if stop <= end]

    def line(self, pos: int) -> int:
        line = self._lines.get(pos)
        if line is None:
            line = self._lines[pos] = self.line_of(pos)
        return line


def _scan_all(text: Utf8) -> Iterator[tuple[int, int, str, bool]]:
    """``(start, end, platform, strong)`` of every match of the table in ``text``."""
    char = text.char
    for match in _ANY.finditer(text.data):
        index = (match.lastindex or 1) - 1
        start, end = match.span()
        yield char(start), char(end), _ANY_PLATFORMS[index], _ANY_STRONG[index]


def _strong_matches(text: str) -> Iterator[tuple[str, int, str]]:
    """``(platform, position, matched text)`` of the strong evidence in a whole text (the
    raw JSON of a notebook, whose cells are indexed apart)."""
    utf8 = Utf8(text)
    pattern, platforms, _ = _strong()
    for match in pattern.finditer(utf8.data):
        index = (match.lastindex or 1) - 1
        start, end = utf8.char(match.start()), utf8.char(match.end())
        yield platforms[index], start, text[start:end]


def reduce(
    found: list[tuple[str, int, str]], near: int | None = None
) -> list[tuple[str, int, str]]:
    """Drop evidence that another piece in the same scope overrides (see :data:`OVERRIDES`);
    with ``near``, only when the overriding piece is that close (one statement of a block,
    not the next row of a table that lists both platforms)."""

    def beaten(item: tuple[str, int, str]) -> bool:
        return any(
            item[0] in OVERRIDES.get(other[0], ())
            and (near is None or abs(other[1] - item[1]) <= near)
            for other in found
        )

    return [item for item in found if not beaten(item)]


_WIDE = frozenset({"block", "cell"})
#: How close an overriding piece must be inside a block or cell (characters).
_STATEMENT = 60


_OPEN_BRACKETS = {")": "(", "]": "[", "}": "{"}


_BRACKET = re.compile(r"[()\[\]{}]|\n[ \t]*\n")


def enclosing_call(text: str, pos: int, reach: int = 600) -> tuple[int, int] | None:
    """``(start of the callee's line, end of the call)`` of the innermost unclosed ``(``
    before ``pos``; ``None`` when the id stands in no call (within ``reach`` characters,
    and never across a blank line)."""
    opened = _opener(text, pos, "(", reach)
    return None if opened < 0 else _through_closer(text, opened, pos + reach)


def enclosing_mapping(text: str, pos: int, reach: int = 600) -> tuple[int, int] | None:
    """Like :func:`enclosing_call`, for the mapping ``pos`` is a value of: a ``{`` after
    ``:``, ``=``, ``(``, ``,`` or ``[`` (a JSON object, a dict or object literal), with the
    line of its key; a ``{`` that opens a code block (after ``)``, a name, ``=>``) is none."""
    opened = _opener(text, pos, "{", reach)
    if opened < 0:
        return None
    before = text[max(0, opened - 200) : opened].rstrip()
    if (before and before[-1] not in ":=(,[") or before.endswith("=>"):
        return None
    return _through_closer(text, opened, pos + reach)


def _opener(text: str, pos: int, opener: str, reach: int) -> int:
    """Where the innermost ``opener`` still open at ``pos`` stands; -1 when none is (within
    ``reach`` characters back, not across a blank line)."""
    depth: list[str] = []
    for match in reversed(list(_BRACKET.finditer(text, max(0, pos - reach), pos))):
        char = match.group()
        if char[0] == "\n":
            return -1
        if char in _OPEN_BRACKETS:
            depth.append(_OPEN_BRACKETS[char])
        elif depth and depth[-1] == char:
            depth.pop()
        elif char == opener:
            return match.start()
    return -1


def _through_closer(text: str, opened: int, limit: int) -> tuple[int, int]:
    """``(start of the opener's line, end of its closer)`` (or ``limit``, when it is not
    closed before that)."""
    start = text.rfind("\n", 0, opened) + 1
    opener = text[opened]
    closer = _CLOSERS[opener]
    level = 0
    limit = min(len(text), limit)
    for match in _BRACKET.finditer(text, opened, limit):
        char = match.group()
        if char == opener:
            level += 1
        elif char == closer:
            level -= 1
            if level == 0:
                return start, match.end()
    return start, limit


_CLOSERS = {"(": ")", "{": "}"}


_RECEIVER = re.compile(r"([A-Za-z_]\w*)(?:\.\w+)+\s*\($")
_SELF = ("self", "this", "cls")


def receiver_scope(text: str, call_start: int, paren: int) -> tuple[int, int] | None:
    """Where the object a method is called on was built: ``client = AzureOpenAI(...)``."""
    head = text[max(call_start, paren - 120) : paren + 1]
    match = _RECEIVER.search(head)
    if match is None:
        return None
    name = match.group(1)
    if name in _SELF:
        rest = re.match(r"\w+\.(\w+)", head[match.start() :])
        if rest is None:
            return None
        name = rest.group(1)
    built = _last_construction(text, name, max(0, paren - _CLIENT_REACH), paren)
    if built is None:
        return None
    line_start = text.rfind("\n", 0, built[0]) + 1
    end = enclosing_call(text, built[1], reach=400)
    return line_start, end[1] if end else text.find("\n", built[1])


#: What follows a name where an object is built: `` = OpenAI(``, ``= await make(``.
_BUILT = re.compile(r"\s*=\s*(?:await\s+)?[\w.]+\s*\(")


def _last_construction(text: str, name: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` of the last ``name = Callee(`` in ``text[start:end]``."""
    pos = text.rfind(name, start, end)
    while pos >= 0:
        if pos == 0 or not _is_word_char(text[pos - 1]):
            built = _BUILT.match(text, pos + len(name), end)
            if built is not None:
                return pos, built.end()
        pos = text.rfind(name, start, pos + len(name) - 1)
    return None


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def word_positions(text: str, name: str, start: int, end: int) -> Iterator[int]:
    """Where ``name`` stands as a whole word in ``text[start:end]``, in order.

    ``str.find`` and two character checks: ``re`` cannot jump to a literal behind ``\\b``
    and tries every position, 40x slower on the 20,000 characters a use is looked for in."""
    size = len(name)
    pos = text.find(name, start, end)
    while pos >= 0:
        stop = pos + size
        if (pos == 0 or not _is_word_char(text[pos - 1])) and (
            stop >= end or not _is_word_char(text[stop])
        ):
            yield pos
        pos = text.find(name, pos + 1, end)


_ASSIGNED = re.compile(r"([A-Za-z_]\w*)\s*(?::\s*\w+\s*)?=\s*[rbfu]?[\"']?$")


def assigned_name(text: str, pos: int) -> str | None:
    """The variable a literal is assigned to (``MODEL_ID = "…"``, ``MODEL=…`` in ``.env``)."""
    line_start = max(text.rfind("\n", 0, pos) + 1, pos - 200)
    match = _ASSIGNED.search(text, line_start, pos)
    return match.group(1) if match else None


def block(text: str, pos: int, max_lines: int = 15) -> tuple[int, int]:
    """The paragraph holding ``pos``: up to the nearest blank lines, at most ``max_lines``
    lines either way."""
    start = text.rfind("\n", 0, pos) + 1
    for _ in range(max_lines):
        if start == 0:
            break
        prev = text.rfind("\n", 0, start - 1) + 1
        if not text[prev : start - 1].strip():
            break
        start = prev
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    for _ in range(max_lines):
        if end >= len(text):
            break
        nxt = text.find("\n", end + 1)
        nxt = len(text) if nxt < 0 else nxt
        if not text[end + 1 : nxt].strip():
            break
        end = nxt
    return max(start, pos - _BLOCK_REACH), min(end, pos + _BLOCK_REACH)


#: A block never reaches further than this either way (one-line JSON files are megabytes).
_BLOCK_REACH = 3000


LineOf = Callable[[int], int]
#: How far after an assignment the uses of its variable are looked for (characters).
_USE_REACH = 20_000
#: How far back the construction of a client is looked for (characters).
_CLIENT_REACH = 6_000


#: Evidence found per span of one text: neighbouring ids share their blocks and calls.
SpanCache = dict[tuple[str, int, int], list[tuple[str, int, str]]]


def _nearest(level: str, index: TextEvidence, span: tuple[int, int], pos: int) -> list[Evidence]:
    key = (level, span[0], span[1])
    found = index.spans.get(key)
    if found is None:
        found = reduce(index.within(*span), _STATEMENT if level in _WIDE else None)
        index.spans[key] = found
    if len(found) > 1:
        found = sorted(found, key=lambda item: abs(item[1] - pos))
    return [(level, platform, index.line(at), snippet) for platform, at, snippet in found]


def collect(
    index: TextEvidence,
    start: int,
    end: int,
    cell: bool = False,
    data: bool = False,
) -> tuple[Evidence, ...]:
    """Evidence around the token at ``text[start:end]``, nearest level first, and within a
    level nearest first. ``cell``: the text is one notebook cell (adds the ``cell`` level);
    ``data``: a data file, where only the ``block`` counts (records stand on their own)."""
    text = index.text
    if not index.hits:
        return ()
    if data:
        return tuple(_nearest("block", index, block(text, start), start))
    out: list[Evidence] = []
    # No scope reaches further than this (a client built up to _CLIENT_REACH before the call
    # that holds the id or one of its uses): nothing there, nothing to look for.
    if cell or index.any_in(text.rfind("\n", 0, max(0, start - _BACK)) + 1, end + _AHEAD):
        _call_and_uses(index, start, end, out)
        out += _nearest("block", index, block(text, start), start)
    if cell:
        out += _nearest("cell", index, (0, len(text)), start)
    return tuple(out)


def _call_and_uses(index: TextEvidence, start: int, end: int, out: list[Evidence]) -> None:
    """The ``call``, ``client``, ``mapping`` and ``use`` levels of :func:`collect`."""
    text = index.text
    call = enclosing_call(text, start)
    mapping = enclosing_mapping(text, start)
    if mapping is not None and (call is None or mapping[1] < call[1]):
        out += _nearest("mapping", index, mapping, start)  # inside the call: nearer
        mapping = None
    if call is not None:
        out += _nearest("call", index, call, start)
        paren = text.rfind("(", call[0], start)
        receiver = receiver_scope(text, call[0], paren) if paren >= 0 else None
        if receiver is not None:
            out += _nearest("client", index, receiver, start)
    if mapping is not None:
        out += _nearest("mapping", index, mapping, start)
    name = assigned_name(text, start)
    if name is not None and len(name) > 2:
        uses = word_positions(text, name, end, end + _USE_REACH)
        for where in itertools.islice(uses, 5):
            scope = enclosing_call(text, where)
            if scope is None and _REASSIGNED.match(text, where + len(name)):
                break  # `modelId = "…"` again (the next test, the next function): another value
            if scope is not None:
                out += _nearest("use", index, scope, where)
                paren = text.rfind("(", scope[0], where)
                receiver = receiver_scope(text, scope[0], paren) if paren >= 0 else None
                if receiver is not None:
                    out += _nearest("use", index, receiver, where)


#: What follows a variable given a new value: `` = …``, ``: str = …`` (not ``==``).
_REASSIGNED = re.compile(r"[ \t]*(?::[^=\n]*)?=(?!=)")
#: How far before and after a token any of its scopes can reach (characters).
_BACK = _CLIENT_REACH + 600 + 120
_AHEAD = _USE_REACH + 600


#: Words of a path that name a platform (``tests/cassettes/azure/…``, ``Connectors.AzureOpenAI``).
_PATH_WORDS = (
    ("azure(?:[-_]?openai)?", "azure-openai"),
    ("bedrock", "bedrock"),
    ("vertex(?:_?ai)?", "vertex"),
    ("openrouter", "openrouter"),
    ("ollama", "local"),
    ("openai", "openai"),
)
_PATH_WORD = re.compile(
    "(?<![a-z])(?:" + "|".join(f"({word})" for word, _ in _PATH_WORDS) + ")(?![a-z])"
)


def path_evidence(rel: str) -> tuple[Evidence, ...]:
    """Platforms a file's path names, each once, with the word that names it."""
    found: dict[str, str] = {}
    for match in _PATH_WORD.finditer(rel.lower()):
        found.setdefault(_PATH_WORDS[(match.lastindex or 1) - 1][1], match.group())
    return tuple(("path", platform, 0, word) for platform, word in found.items())


#: Google's SDKs pointed at Vertex: ``genai.Client(vertexai=True)``, ``{vertexai: true}``,
#: ``GOOGLE_GENAI_USE_VERTEXAI``, the ``vertexai`` module (not a connector class that names
#: Vertex, such as .NET's ``AddGoogleVertexAIChatClient`` beside its Gemini API twin, nor
#: a logo's URL).
VERTEX_SWITCH = re.compile(
    r"vertexai\s*[=:]\s*true|use_?vertexai|vertexai\.init|(?:import|from) vertexai"
    r"|enterprise\s*=\s*true",
    re.I,
)


def file_evidence(index: TextEvidence) -> tuple[Evidence, ...]:
    """Strong evidence anywhere in the text: one entry per platform (its first occurrence),
    and the first :data:`VERTEX_SWITCH` when another piece came first."""
    text = index.text
    return _file_level(
        ((platform, at, text[at:stop]) for at, stop, platform, strong in index.hits if strong),
        index.line,
    )


def raw_file_evidence(text: str, line_of: LineOf) -> tuple[Evidence, ...]:
    """:func:`file_evidence` of a text with no index (a notebook's raw JSON)."""
    return _file_level(_strong_matches(text), line_of)


def _file_level(pieces: Iterable[tuple[str, int, str]], line_of: LineOf) -> tuple[Evidence, ...]:
    first: dict[str, tuple[str, int, str]] = {}
    for platform, at, snippet in pieces:
        if platform not in first:
            first[platform] = (platform, at, snippet)
        elif platform == "vertex" and "switch" not in first and VERTEX_SWITCH.search(snippet):
            first["switch"] = (platform, at, snippet)
    kept = reduce(list(first.values()))
    return tuple(("file", p, line_of(at), snippet) for p, at, snippet in kept)
