"""Id resolution: every form of model id seen in the wild, to catalog offerings.

Two steps. :func:`parse_id` reads what the text itself says (routing prefixes,
regions, ARNs, resource paths, version suffixes) without the catalog.
:func:`resolve` then looks the parts up in indexes built once per catalog.
Matching is by exact token: ``gpt-4`` never matches ``gpt-4o`` or ``gpt-4-0613``,
``claude-2`` never matches ``claude-2.1``. The only expansions are those a form
spells out: an Azure model name without its version (``gpt-35-turbo``) names
every version on Azure, a Vertex id without ``@version`` names every version on
Vertex, and an undated id that is not itself known (``claude-3-opus``) names
its dated snapshots.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from recast.catalog._catalog import Catalog, load_catalog
from recast.catalog._model import Offering
from recast.catalog._platforms import check_platform, home_platform, platform_rank
from recast.errors import UnknownModelError

#: LiteLLM route prefixes (``bedrock/...``) and the platform each one calls.
ROUTES: dict[str, str] = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "azure": "azure-openai",
    "azure_text": "azure-openai",
    "anthropic": "anthropic",
    "bedrock": "bedrock",
    "vertex_ai": "vertex",
    "vertex_ai_beta": "vertex",
    "gemini": "gemini-api",
    "mistral": "mistral",
    "codestral": "mistral",
    "openrouter": "openrouter",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "deepseek": "deepseek",
    "xai": "xai",
    "groq": "groq",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
    "moonshot": "moonshot",
    "dashscope": "alibaba",
    "minimax": "minimax",
    "zai": "z-ai",
    "bedrock_converse": "bedrock",
    # Local runtimes: no provider serves these, so no lifecycle applies (scan says ``local``).
    "ollama": "local",
    "ollama_chat": "local",
    "lm_studio": "local",
    "hosted_vllm": "local",
    "vllm": "local",
    "llamacpp": "local",
}

#: ``provider:model`` prefixes (pydantic-ai, LangChain ``init_chat_model``, others).
COLON_PREFIXES: dict[str, str] = {
    "openai": "openai",
    "openai-chat": "openai",
    "openai-responses": "openai",
    "anthropic": "anthropic",
    "google-gla": "gemini-api",
    "google_genai": "gemini-api",
    "google": "gemini-api",
    "gemini": "gemini-api",
    "google-vertex": "vertex",
    "google_vertexai": "vertex",
    "google_anthropic_vertex": "vertex",
    "vertex": "vertex",
    "vertexai": "vertex",
    "vertex_ai": "vertex",
    "bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "azure": "azure-openai",
    "azure_openai": "azure-openai",
    "azure-openai": "azure-openai",
    "mistral": "mistral",
    "mistralai": "mistral",
    "groq": "groq",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "xai": "xai",
    "openrouter": "openrouter",
    "together": "together",
    "fireworks": "fireworks",
    "azureopenai": "azure-openai",
    "ollama": "local",
}

#: promptfoo's middle segment, the API kind (``anthropic:messages:<id>``, ``openai:chat:<id>``).
_API_KIND = re.compile(
    r"^(?:messages|chat|completion|completions|responses|embedding|embeddings|assistant"
    r"|realtime|converse|invoke):(?P<rest>.+)$"
)
#: The tail of a Bedrock ARN whose head was templated (``arn:aws:bedrock:{region}::``).
_ARN_TAIL = re.compile(
    r"^(?P<kind>foundation-model|inference-profile|application-inference-profile"
    r"|provisioned-model|custom-model|imported-model)/(?P<rest>[^/]+)$"
)

#: Model makers that prefix Bedrock model ids (``anthropic.claude-...``).
BEDROCK_VENDORS: frozenset[str] = frozenset(
    {
        "ai21",
        "amazon",
        "anthropic",
        "cohere",
        "deepseek",
        "google",
        "luma",
        "meta",
        "minimax",
        "mistral",
        "moonshot",
        "moonshotai",
        "nvidia",
        "openai",
        "qwen",
        "stability",
        "twelvelabs",
        "writer",
        "zai",
    }
)

#: OpenRouter variant suffixes (``openai/gpt-4o:free``).
OPENROUTER_VARIANTS: frozenset[str] = frozenset(
    {"free", "beta", "online", "nitro", "floor", "extended", "thinking", "exacto"}
)

_WS_QUOTES = " \t\r\n\"'`"
_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:(?P<region>[a-z0-9-]*):(?P<account>\d*):"
    r"(?P<kind>[a-z-]+)/(?P<rest>.+)$"
)
_VERTEX_PATH = re.compile(
    r"^(?:v1[a-z0-9]*/)?(?:projects/[^/]+/locations/(?P<location>[^/]+)/)?"
    r"publishers/(?P<publisher>[^/]+)/models/(?P<model>[^/:]+)(?::[a-z]+)?$"
)
_VERTEX_PROJECT_MODEL = re.compile(
    r"^(?:v1[a-z0-9]*/)?projects/[^/]+/locations/(?P<location>[^/]+)/models/(?P<model>[^/:]+)"
    r"(?::[a-z]+)?$"
)
_GEMINI_MODELS = re.compile(r"^(?:v1[a-z0-9]*/)?models/(?P<model>[^/:]+)(?::[a-z]+)?$")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?P<host>[^/]*)(?P<path>/[^?#]*)?")
_AWS_REGION = re.compile(r"^(?:us|eu|ap|ca|sa|me|af|il|mx|cn)(?:-gov)?-[a-z]+-\d+$")
_CROSS_REGION = re.compile(
    r"^(?P<region>us|us-gov|eu|apac|ap|global|jp|au|ca|uk|sa|in|me|mx|kr|sg|tw)\."
    r"(?P<rest>(?P<vendor>[a-z0-9-]+)\..+)$"
)
_BEDROCK_ID = re.compile(r"^(?P<vendor>[a-z0-9-]+)\.[a-z0-9]")
_THROUGHPUT = re.compile(r"^(?P<id>.+:\d+)(?::(?P<size>\d+k|mm))$")
_GCP_LOCATION = re.compile(r"^[a-z]+-[a-z]+\d+$")
_COLON = re.compile(r"^(?P<prefix>[a-z][a-z0-9_-]*):(?P<rest>.+)$")
_ROUTE = re.compile(r"^(?P<route>[a-z][a-z0-9_-]*)/(?P<rest>.+)$")
_AZURE_VERSION = re.compile(
    r"^(?P<name>.+?)-(?P<version>\d{4}(?:-preview)?|\d{4}-\d{2}-\d{2}(?:-preview)?"
    r"|turbo-\d{4}-\d{2}-\d{2}|vision-preview)$"
)
_DATED = re.compile(r"^(?P<name>.+?)-(?P<date>\d{8}|\d{4}-\d{2}-\d{2}|\d{4})$")


@dataclass(frozen=True)
class ParsedId:
    """What the text of an id says before the catalog is consulted.

    ``base`` is the lower-case id with every routing layer removed; ``platform``
    is the platform the form implies (``None`` when the form fits several);
    ``region`` a Bedrock cross-region prefix (``us``), an AWS region or a Vertex
    location; ``route`` the routing prefix as written (``bedrock/converse``,
    ``openai:``, ``arn:foundation-model``); ``variant`` an OpenRouter suffix
    (``free``), a Bedrock throughput size (``28k``) or ``ft`` for a fine-tune;
    ``version`` the Vertex ``@version``.
    """

    text: str
    base: str
    platform: str | None = None
    region: str | None = None
    route: str | None = None
    variant: str | None = None
    version: str | None = None
    normalized: str = ""


def _normalize(text: str) -> str:
    return text.strip(_WS_QUOTES).lower()


#: Longer text is no model id (the longest ARNs and resource paths are ~200 characters).
MAX_ID_LENGTH = 512


def parse_id(text: str) -> ParsedId:
    """Split an id into platform hint, region, route and base id; never raises."""
    normalized = _normalize(text)
    if len(normalized) > MAX_ID_LENGTH:
        return ParsedId(text=text, base="", normalized=normalized)
    state: dict[str, str | None] = {
        "platform": None,
        "region": None,
        "route": None,
        "variant": None,
        "version": None,
    }
    base = _peel(normalized, state, depth=0)
    return ParsedId(
        text=text,
        base=base,
        platform=state["platform"],
        region=state["region"],
        route=state["route"],
        variant=state["variant"],
        version=state["version"],
        normalized=normalized,
    )


def _set(state: dict[str, str | None], key: str, value: str | None) -> None:
    if value and not state[key]:
        state[key] = value


def _add_route(state: dict[str, str | None], route: str) -> None:
    state["route"] = f"{state['route']}/{route}" if state["route"] else route


def _peel(s: str, state: dict[str, str | None], depth: int) -> str:
    """Remove one routing layer at a time, recording what each one says."""
    if depth > 6 or not s:
        return s
    # OpenRouter variant suffix: "openai/gpt-4o:free".
    head, sep, tail = s.rpartition(":")
    if sep and tail in OPENROUTER_VARIANTS and "/" in head:
        # Only OpenRouter has these suffixes: the rest is its own "org/model" id.
        _set(state, "variant", tail)
        _set(state, "platform", "openrouter")
        if head.startswith("openrouter/"):
            _add_route(state, "openrouter")
            head = head[len("openrouter/") :]
        return head
    url = _URL.match(s)
    if url:
        host = url.group("host")
        path = (url.group("path") or "").strip("/")
        if "bedrock" in host:
            region = re.search(r"bedrock(?:-runtime)?[.-]([a-z0-9-]+)\.amazonaws", host)
            _set(state, "platform", "bedrock")
            _set(state, "region", region.group(1) if region else None)
            path = re.sub(r"^model/", "", path)
            path = re.sub(
                r"/(?:invoke|converse|invoke-with-response-stream|converse-stream)$", "", path
            )
        elif "generativelanguage" in host:
            _set(state, "platform", "gemini-api")
        elif "aiplatform" in host:
            _set(state, "platform", "vertex")
        _add_route(state, "url")
        return _peel(path, state, depth + 1)
    arn = _ARN.match(s)
    if arn:
        _set(state, "platform", "bedrock")
        _set(state, "region", arn.group("region") or None)
        _add_route(state, f"arn:{arn.group('kind')}")
        return _peel(arn.group("rest"), state, depth + 1)
    vertex = _VERTEX_PATH.match(s)
    if vertex:
        _set(state, "platform", "vertex")
        _set(state, "region", vertex.group("location"))
        _add_route(state, f"publishers/{vertex.group('publisher')}")
        return _peel(vertex.group("model"), state, depth + 1)
    vertex_project = _VERTEX_PROJECT_MODEL.match(s)
    if vertex_project:
        _set(state, "platform", "vertex")
        _set(state, "region", vertex_project.group("location"))
        _add_route(state, "projects")
        return _peel(vertex_project.group("model"), state, depth + 1)
    gemini = _GEMINI_MODELS.match(s)
    if gemini:
        _set(state, "platform", "gemini-api")
        _add_route(state, "models")
        return _peel(gemini.group("model"), state, depth + 1)
    arn_tail = _ARN_TAIL.match(s)
    if arn_tail:
        _set(state, "platform", "bedrock")
        _add_route(state, f"arn:{arn_tail.group('kind')}")
        return _peel(arn_tail.group("rest"), state, depth + 1)
    route = _ROUTE.match(s)
    if route and state["platform"] == "openrouter":
        return s  # "openrouter/openai/gpt-4o": the rest is OpenRouter's own id
    if route:
        name, rest = route.group("route"), route.group("rest")
        if name in ROUTES:
            _set(state, "platform", ROUTES[name])
            _add_route(state, name)
            return _peel(_peel_subroute(ROUTES[name], rest, state), state, depth + 1)
        if "/" not in rest and not state["platform"]:
            # An "org/model" id that is not a known route: OpenRouter's form.
            _set(state, "platform", "openrouter")
        return s
    colon = _COLON.match(s)
    if colon:
        prefix, rest = colon.group("prefix"), colon.group("rest")
        if prefix == "ft":  # OpenAI fine-tune: ft:gpt-4-0613:org:name:id
            _set(state, "platform", "openai")
            _set(state, "variant", "ft")
            _add_route(state, "ft:")
            return _peel(rest.split(":", 1)[0], state, depth + 1)
        if prefix in COLON_PREFIXES:
            _set(state, "platform", COLON_PREFIXES[prefix])
            _add_route(state, f"{prefix}:")
            kind = _API_KIND.match(rest)
            if kind:
                rest = kind.group("rest")
            return _peel(rest, state, depth + 1)
    cross = _CROSS_REGION.match(s)
    if cross and cross.group("vendor") in BEDROCK_VENDORS:
        _set(state, "platform", "bedrock")
        _set(state, "region", cross.group("region"))
        return _peel(cross.group("rest"), state, depth + 1)
    bedrock = _BEDROCK_ID.match(s)
    if bedrock and bedrock.group("vendor") in BEDROCK_VENDORS:
        _set(state, "platform", "bedrock")
        throughput = _THROUGHPUT.match(s)
        if throughput:
            _set(state, "variant", throughput.group("size"))
            return throughput.group("id")
        return s
    if "@" in s:
        name, _, version = s.partition("@")
        if name and version:
            _set(state, "platform", "vertex")
            _set(state, "version", version)
        return s
    if s.startswith("gpt-35"):
        _set(state, "platform", "azure-openai")
    return s


def _peel_subroute(platform: str, rest: str, state: dict[str, str | None]) -> str:
    """Strip what follows a LiteLLM route: ``converse/``, regions, Fireworks paths."""
    parts = rest.split("/")
    if platform == "bedrock":
        while len(parts) > 1:
            head = parts[0]
            if head in {"converse", "invoke", "converse_like", "llama", "deepseek_r1", "nova"}:
                _add_route(state, head)
            elif _AWS_REGION.match(head):
                _set(state, "region", head)
            else:
                break
            parts = parts[1:]
    elif platform == "azure-openai":
        if len(parts) > 1 and parts[0] in {"eu", "us", "global", "datazone"}:
            _set(state, "region", parts[0])
            parts = parts[1:]
    elif platform == "fireworks":
        if len(parts) == 4 and parts[0] == "accounts" and parts[2] == "models":
            parts = parts[3:]
    elif platform == "vertex" and len(parts) > 1 and _GCP_LOCATION.match(parts[0]):
        _set(state, "region", parts[0])
        parts = parts[1:]
    return "/".join(parts)


def _covers(geography: str, region: str) -> bool:
    """Whether a Bedrock geography (``us``, ``eu``, ``apac``, ``global``, ...) spans a region."""
    if geography == "global":
        return True
    if geography == "apac":
        return region.startswith("ap-")
    if geography == "jp":
        return region in ("ap-northeast-1", "ap-northeast-3")
    if geography == "us":
        return region.startswith("us-") and not region.startswith("us-gov-")
    return region.startswith(f"{geography}-")


def region_matches(offering_region: str | None, named: str) -> bool:
    """Whether an offering's region (``None``: every region) covers the region an id names.

    ``named`` is an AWS region (``us-east-1``), a Bedrock cross-region prefix (``us``,
    ``eu``, ``apac``, ``global``) or a Vertex location.
    """
    if offering_region is None:
        return True
    have, want = offering_region.lower(), named.lower()
    return have == want or _covers(want, have) or _covers(have, want)


def _undated(name: str) -> str | None:
    """``claude-3-opus-20240229`` -> ``claude-3-opus``; ``None`` if the tail is not a date."""
    match = _DATED.match(name)
    if not match:
        return None
    digits = match.group("date").replace("-", "")
    if len(digits) == 4:
        first, last = int(digits[:2]), int(digits[2:])
        mmdd = 1 <= first <= 12 and 1 <= last <= 31
        yymm = 23 <= first <= 30 and 1 <= last <= 12
        if not (mmdd or yymm):
            return None
    else:
        month = int(digits[4:6])
        if not (digits.startswith(("19", "20")) and 1 <= month <= 12):
            return None
    return match.group("name")


class _Resolver:
    """Indexes over one catalog, built once, with a memo of answers.

    The indexes hold positions in the catalog (see ``Catalog._keys``), so building them
    reads only ids; an :class:`Offering` is built only when an answer includes it.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        keys = catalog._keys
        self.keys = keys
        by_pid: dict[tuple[str, str], list[int]] = defaultdict(list)
        pid_any: dict[str, list[int]] = defaultdict(list)
        by_model: dict[str, list[int]] = defaultdict(list)
        azure_names: dict[str, list[int]] = defaultdict(list)
        vertex_names: dict[str, list[int]] = defaultdict(list)
        for index, (model, platform, platform_id, _region) in enumerate(keys):
            pid = platform_id.lower()
            by_pid[(platform, pid)].append(index)
            pid_any[pid].append(index)
            by_model[model].append(index)
            if platform == "azure-openai":
                match = _AZURE_VERSION.match(pid)
                if match:
                    azure_names[match.group("name")].append(index)
            elif platform == "vertex" and "@" in pid:
                vertex_names[pid.partition("@")[0]].append(index)
        by_name: dict[str, list[int]] = defaultdict(list)
        for model_id, aliases in catalog._model_names():
            for name in {model_id.lower(), *(a.lower() for a in aliases)}:
                by_name[name].extend(by_model.get(model_id, ()))
        undated: dict[str, list[int]] = defaultdict(list)
        for name in by_name:
            short = _undated(name)
            if short and short not in by_name and short not in pid_any:
                undated[short].extend(by_name[name])
        self.by_pid = dict(by_pid)
        self.pid_any = dict(pid_any)
        self.by_name = dict(by_name)
        self.azure_names = dict(azure_names)
        self.vertex_names = dict(vertex_names)
        self.undated = dict(undated)
        self.known_names = sorted(by_name.keys() | pid_any.keys())
        self.resolve = lru_cache(maxsize=65536)(self._resolve)

    def _on(self, target: str, indexes: Iterable[int]) -> list[int]:
        return [i for i in indexes if self.keys[i][1] == target]

    def _candidates(self, base: str, target: str | None) -> list[int]:
        if target is None:
            hits = self.pid_any.get(base, []) + self.by_name.get(base, [])
            return hits or self.undated.get(base, [])
        hits = [*self.by_pid.get((target, base), ()), *self._on(target, self.by_name.get(base, ()))]
        if target == "azure-openai":
            azure_base = base.replace("gpt-3.5", "gpt-35")
            hits += self.by_pid.get((target, azure_base), [])
            hits += self.azure_names.get(azure_base, [])
        elif target == "vertex" and "@" not in base:
            hits += self.vertex_names.get(base, [])
        elif target == "bedrock" and not hits and ":" not in base:
            hits += self.by_pid.get((target, base + ":0"), [])
        return hits or self._on(target, self.undated.get(base, ()))

    def _resolve(self, text: str, platform: str | None) -> tuple[Offering, ...]:
        parsed = parse_id(text)
        if not parsed.base:
            return ()
        found: dict[int, None] = {}
        # The text as written may itself be a platform id ("openai/gpt-4o" on OpenRouter).
        literal = parsed.normalized
        if parsed.variant in OPENROUTER_VARIANTS:
            literal = literal.rpartition(":")[0]
        if literal != parsed.base or (platform and (platform, literal) in self.by_pid):
            # The exact platform id on the platform asked for always names its offering,
            # whatever form the text otherwise looks like (Vertex's "zai-org/glm-5-maas").
            pool = (
                self.by_pid.get((platform, literal), [])
                if platform
                else self.pid_any.get(literal, [])
            )
            found.update(dict.fromkeys(pool))
        implied = parsed.platform
        if not (platform and implied and platform != implied):
            found.update(dict.fromkeys(self._candidates(parsed.base, platform or implied)))
        indexes: Iterable[int] = found
        if parsed.region:
            # Where a lifecycle differs by region, keep the rows for the region the id names.
            named = parsed.region
            indexes = [i for i in indexes if region_matches(self.keys[i][3], named)]
        return tuple(self.catalog._offering(i) for i in sorted(indexes, key=self._rank))

    def _rank(self, index: int) -> tuple[int, int, str, str, str]:
        """Home platform first (the maker's own API), then platform order, then platform id."""
        model, platform, platform_id, region = self.keys[index]
        provider = self.catalog.provider_of(model)
        home = provider is not None and home_platform(provider) == platform
        return (
            0 if home else 1,
            platform_rank(platform),
            platform,
            platform_id.lower(),
            region or "",
        )


def _resolver(catalog: Catalog) -> _Resolver:
    resolver = catalog._memo.get("resolver")
    if not isinstance(resolver, _Resolver):
        resolver = _Resolver(catalog)
        catalog._memo["resolver"] = resolver
    return resolver


def resolve(
    text: str, platform: str | None = None, *, catalog: Catalog | None = None
) -> list[Offering]:
    """Return every offering that ``text`` names (on ``platform`` if given); ``[]`` if none.

    Offerings on the model's home platform (its maker's own API) come first,
    then the others in ``recast.catalog.PLATFORMS`` order, then by platform id.
    A form that implies a platform (``bedrock/...``, ``us.anthropic...``, an ARN,
    ``...@20241022``) only matches on that platform. Answers are memoized per
    catalog. Raises :class:`~recast.errors.UnknownPlatformError` for an unknown
    ``platform``.
    """
    resolver = _resolver(catalog if catalog is not None else load_catalog())
    return list(resolver.resolve(text, check_platform(platform)))


def lookup(
    model_id: str, platform: str | None = None, *, catalog: Catalog | None = None
) -> Offering:
    """Return the single best offering for an id.

    Preference: ``platform`` if given, else the platform the id's form implies,
    else the home platform of the model's provider (``openai`` for OpenAI models),
    else the first offering. When the id names a region and that platform has a
    row for it, that row wins over the all-regions one. Raises
    :class:`~recast.errors.UnknownModelError` carrying the closest known ids when
    nothing matches.
    """
    cat = catalog if catalog is not None else load_catalog()
    offerings = resolve(model_id, platform, catalog=cat)
    if not offerings:
        raise UnknownModelError(model_id.strip(), suggest(model_id, catalog=cat))
    parsed = parse_id(model_id)
    chosen = offerings[0]
    home = [
        o
        for o in offerings
        if (provider := cat.provider_of(o.model)) is not None
        and home_platform(provider) == o.platform
    ]
    wanted = platform or parsed.platform
    if wanted and any(o.platform == wanted for o in offerings):
        chosen = next(o for o in offerings if o.platform == wanted)
    elif home:
        chosen = home[0]
    # On the chosen platform, the row the text spells (an alias row and its target share
    # a lifecycle, but the id shown should be the one asked for).
    spelled = [
        o
        for o in offerings
        if o.platform == chosen.platform and o.platform_id.lower() == parsed.normalized
    ]
    if spelled and spelled[0].region == chosen.region:
        chosen = spelled[0]
    if parsed.region:
        for offering in offerings:
            same = (offering.platform, offering.platform_id) == (
                chosen.platform,
                chosen.platform_id,
            )
            if same and offering.region is not None:
                return offering
    return chosen


def suggest(text: str, limit: int = 5, *, catalog: Catalog | None = None) -> list[str]:
    """Return up to ``limit`` known ids closest to ``text`` (model ids, aliases, platform ids)."""
    import difflib

    resolver = _resolver(catalog if catalog is not None else load_catalog())
    parsed = parse_id(text)
    queries: Iterable[str] = dict.fromkeys(q for q in (parsed.base, parsed.normalized) if q)
    scored: dict[str, float] = {}
    for query in queries:
        matcher = difflib.SequenceMatcher(b=query, autojunk=False)
        for name in resolver.known_names:
            matcher.set_seq1(name)
            if matcher.real_quick_ratio() < 0.6 or matcher.quick_ratio() < 0.6:
                continue
            ratio = matcher.ratio()
            if ratio >= 0.6 and ratio > scored.get(name, 0.0):
                scored[name] = ratio
    ranked = sorted(scored.items(), key=lambda item: (-item[1], len(item[0]), item[0]))
    return [name for name, _ in ranked[:limit]]
