"""Id resolution: every id form in the wild, positives and negatives, plus properties."""

from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recast.catalog import (
    Catalog,
    Lifecycle,
    LifecycleDate,
    Model,
    Offering,
    lookup,
    parse_id,
    resolve,
    suggest,
)
from recast.catalog._resolve import _undated
from recast.errors import UnknownModelError, UnknownPlatformError

# (model id, provider, aliases, [(platform, platform id), ...])
ROWS: list[tuple[str, str, tuple[str, ...], list[tuple[str, str]]]] = [
    ("gpt-4", "openai", (), [("openai", "gpt-4")]),
    ("gpt-4-0613", "openai", (), [("openai", "gpt-4-0613"), ("azure-openai", "gpt-4-0613")]),
    ("gpt-4-32k", "openai", (), [("openai", "gpt-4-32k")]),
    ("gpt-4-32k-0613", "openai", (), [("azure-openai", "gpt-4-32k-0613")]),
    ("gpt-4-turbo-2024-04-09", "openai", (), [
        ("openai", "gpt-4-turbo-2024-04-09"), ("azure-openai", "gpt-4-turbo-2024-04-09")]),
    ("gpt-4o", "openai", (), [("openai", "gpt-4o"), ("openrouter", "openai/gpt-4o")]),
    ("gpt-4o-2024-05-13", "openai", (), [
        ("openai", "gpt-4o-2024-05-13"), ("azure-openai", "gpt-4o-2024-05-13")]),
    ("gpt-4o-2024-08-06", "openai", (), [
        ("openai", "gpt-4o-2024-08-06"), ("azure-openai", "gpt-4o-2024-08-06")]),
    ("gpt-4o-mini-2024-07-18", "openai", (), [
        ("openai", "gpt-4o-mini-2024-07-18"), ("azure-openai", "gpt-4o-mini-2024-07-18")]),
    ("gpt-3.5-turbo-0613", "openai", (), [
        ("openai", "gpt-3.5-turbo-0613"), ("azure-openai", "gpt-35-turbo-0613")]),
    ("gpt-3.5-turbo-0125", "openai", (), [
        ("openai", "gpt-3.5-turbo-0125"), ("azure-openai", "gpt-35-turbo-0125")]),
    ("gpt-4.5-preview", "openai", (), [
        ("openai", "gpt-4.5-preview"), ("openrouter", "openai/gpt-4.5-preview")]),
    ("gpt-4.1", "openai", (), [("openai", "gpt-4.1")]),
    ("o1-preview", "openai", (), [
        ("openai", "o1-preview"), ("azure-openai", "o1-preview-2024-09-12")]),
    ("claude-2.0", "anthropic", ("claude-2",), [
        ("anthropic", "claude-2.0"), ("bedrock", "anthropic.claude-v2")]),
    ("claude-2.1", "anthropic", (), [
        ("anthropic", "claude-2.1"), ("bedrock", "anthropic.claude-v2:1")]),
    ("claude-3-sonnet-20240229", "anthropic", (), [
        ("anthropic", "claude-3-sonnet-20240229"),
        ("bedrock", "anthropic.claude-3-sonnet-20240229-v1:0"),
        ("vertex", "claude-3-sonnet@20240229")]),
    ("claude-3-5-sonnet-20240620", "anthropic", (), [
        ("anthropic", "claude-3-5-sonnet-20240620"),
        ("bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
        ("vertex", "claude-3-5-sonnet@20240620")]),
    ("claude-3-5-sonnet-20241022", "anthropic", (), [
        ("anthropic", "claude-3-5-sonnet-20241022"),
        ("bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0"),
        ("vertex", "claude-3-5-sonnet-v2@20241022")]),
    ("claude-3-5-sonnet-latest", "anthropic", (), [("anthropic", "claude-3-5-sonnet-latest")]),
    ("claude-3-opus-20240229", "anthropic", (), [
        ("anthropic", "claude-3-opus-20240229"), ("openrouter", "anthropic/claude-3-opus"),
        ("vertex", "claude-3-opus@20240229")]),
    ("gemini-1.5-pro-001", "google", (), [("gemini-api", "gemini-1.5-pro-001"),
                                           ("vertex", "gemini-1.5-pro-001")]),
    ("gemini-1.5-pro-002", "google", (), [("gemini-api", "gemini-1.5-pro-002"),
                                           ("vertex", "gemini-1.5-pro-002")]),
    ("gemini-1.5-flash", "google", ("gemini-1.5-flash-latest",), [
        ("gemini-api", "gemini-1.5-flash"), ("vertex", "gemini-1.5-flash")]),
    ("mistral-large-2402", "mistral", (), [
        ("mistral", "mistral-large-2402"), ("bedrock", "mistral.mistral-large-2402-v1:0")]),
    ("mistral-large-latest", "mistral", (), [("mistral", "mistral-large-latest")]),
    ("llama3-70b-instruct", "meta", (), [
        ("bedrock", "meta.llama3-70b-instruct-v1:0"),
        ("openrouter", "meta-llama/llama-3-70b-instruct")]),
    ("nova-pro", "amazon", (), [("bedrock", "amazon.nova-pro-v1:0")]),
]  # fmt: skip


def make_catalog() -> Catalog:
    models = [Model(id=mid, provider=prov, aliases=aliases) for mid, prov, aliases, _ in ROWS]
    offerings = [
        Offering(
            model=mid,
            platform=platform,
            platform_id=pid,
            lifecycle=Lifecycle(state="active", shutdown_on=LifecycleDate(date(2030, 1, 1))),
        )
        for mid, _, _, rows in ROWS
        for platform, pid in rows
    ]
    return Catalog.build(models, offerings)


CATALOG = make_catalog()
ALL_OFFERINGS = list(CATALOG.offerings)


def keys(text: str, platform: str | None = None) -> set[tuple[str, str]]:
    return {(o.platform, o.platform_id) for o in resolve(text, platform, catalog=CATALOG)}


def models_of(text: str, platform: str | None = None) -> set[str]:
    return {o.model for o in resolve(text, platform, catalog=CATALOG)}


# --- plain and dated ids ----------------------------------------------------------------


def test_dated_snapshot_names_every_offering_of_that_model() -> None:
    assert keys("gpt-4o-2024-08-06") == {
        ("openai", "gpt-4o-2024-08-06"),
        ("azure-openai", "gpt-4o-2024-08-06"),
    }
    assert models_of("gpt-4-0613") == {"gpt-4-0613"}
    assert models_of("claude-3-5-sonnet-20240620") == {"claude-3-5-sonnet-20240620"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gpt-4", {"gpt-4"}),
        ("gpt-4o", {"gpt-4o"}),
        ("gpt-4-32k", {"gpt-4-32k"}),
        ("gpt-4-0613", {"gpt-4-0613"}),
        ("claude-2", {"claude-2.0"}),
        ("claude-2.1", {"claude-2.1"}),
        ("claude-2.0", {"claude-2.0"}),
    ],
)
def test_never_confuses_neighbouring_ids(text: str, expected: set[str]) -> None:
    assert models_of(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "claude_2_client",
        "gpt-4x",
        "gpt",
        "gpt-4-",
        "claude",
        "claude-3",
        "gpt-4o-2024",
        "my-gpt-4",
        "gpt-4.5",
        "anthropic.claude-v3",
        "openai/gpt-5-ultra",
        "bedrock/unknown.model-v1:0",
        "",
        "   ",
        "::",
        "models/",
        "arn:aws:bedrock:us-east-1:123:application-inference-profile/abc123",
    ],
)
def test_unknown_or_partial_ids_resolve_to_nothing(text: str) -> None:
    assert resolve(text, catalog=CATALOG) == []


def test_very_long_text_is_not_an_id() -> None:
    text = "bedrock/" + "a:1" * 5000 + ":28k"
    assert parse_id(text).base == ""
    assert resolve(text, catalog=CATALOG) == []
    assert resolve("gpt-4" + " " * 2000, catalog=CATALOG)  # surrounding whitespace is fine


def test_case_and_whitespace_do_not_matter() -> None:
    assert keys("  GPT-4O-2024-08-06\n") == keys("gpt-4o-2024-08-06")
    assert keys('"Claude-3-Sonnet-20240229"') == keys("claude-3-sonnet-20240229")


def test_aliases_and_latest() -> None:
    assert models_of("gemini-1.5-flash-latest") == {"gemini-1.5-flash"}
    assert models_of("claude-3-5-sonnet-latest") == {"claude-3-5-sonnet-latest"}
    assert models_of("mistral-large-latest") == {"mistral-large-latest"}


def test_undated_id_names_its_dated_snapshots_only_when_not_itself_known() -> None:
    assert models_of("claude-3-opus") == {"claude-3-opus-20240229"}
    assert models_of("claude-3-sonnet") == {"claude-3-sonnet-20240229"}
    assert models_of("claude-3-5-sonnet") == {
        "claude-3-5-sonnet-20240620",
        "claude-3-5-sonnet-20241022",
    }
    assert models_of("mistral-large") == {"mistral-large-2402"}
    # gpt-4 is a model of its own, so it never expands to gpt-4-0613.
    assert models_of("gpt-4") == {"gpt-4"}


def test_undated_only_strips_dates() -> None:
    assert _undated("claude-3-opus-20240229") == "claude-3-opus"
    assert _undated("gpt-4o-2024-08-06") == "gpt-4o"
    assert _undated("gpt-4-0613") == "gpt-4"
    assert _undated("mistral-large-2402") == "mistral-large"
    assert _undated("gpt-4-32k") is None
    assert _undated("llama-3-8192") is None
    assert _undated("gemini-1.5-pro-002") is None


# --- Bedrock ------------------------------------------------------------------------------


def test_bedrock_ids_imply_bedrock() -> None:
    assert keys("anthropic.claude-3-sonnet-20240229-v1:0") == {
        ("bedrock", "anthropic.claude-3-sonnet-20240229-v1:0")
    }
    assert keys("anthropic.claude-v2") == {("bedrock", "anthropic.claude-v2")}
    assert keys("anthropic.claude-v2:1") == {("bedrock", "anthropic.claude-v2:1")}
    assert keys("meta.llama3-70b-instruct-v1:0") == {("bedrock", "meta.llama3-70b-instruct-v1:0")}


@pytest.mark.parametrize("region", ["us", "eu", "apac", "global", "us-gov", "jp", "au", "ca"])
def test_bedrock_cross_region_prefixes(region: str) -> None:
    text = f"{region}.anthropic.claude-3-5-sonnet-20241022-v2:0"
    assert keys(text) == {("bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0")}
    assert parse_id(text).region == region


def test_bedrock_arns() -> None:
    foundation = (
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0"
    )
    assert keys(foundation) == {("bedrock", "anthropic.claude-3-sonnet-20240229-v1:0")}
    parsed = parse_id(foundation)
    assert (parsed.platform, parsed.region) == ("bedrock", "us-east-1")
    profile = (
        "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/"
        "eu.anthropic.claude-3-5-sonnet-20240620-v1:0"
    )
    assert keys(profile) == {("bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0")}
    gov = "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/anthropic.claude-v2:1"
    assert keys(gov) == {("bedrock", "anthropic.claude-v2:1")}


def test_bedrock_throughput_suffix_and_missing_version() -> None:
    assert keys("anthropic.claude-3-sonnet-20240229-v1:0:28k") == {
        ("bedrock", "anthropic.claude-3-sonnet-20240229-v1:0")
    }
    assert keys("anthropic.claude-3-sonnet-20240229-v1") == {
        ("bedrock", "anthropic.claude-3-sonnet-20240229-v1:0")
    }
    # claude-v2 and claude-v2:1 are different models: no fallback across them.
    assert models_of("anthropic.claude-v2") == {"claude-2.0"}


def test_bedrock_endpoint_url() -> None:
    url = "https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-v2:1/invoke"
    assert keys(url) == {("bedrock", "anthropic.claude-v2:1")}
    assert parse_id(url).region == "us-west-2"


def test_canonical_id_with_bedrock_platform() -> None:
    assert keys("claude-3-sonnet-20240229", "bedrock") == {
        ("bedrock", "anthropic.claude-3-sonnet-20240229-v1:0")
    }
    assert keys("anthropic.claude-3-sonnet-20240229-v1:0", "anthropic") == set()


# --- Vertex and Gemini ---------------------------------------------------------------------


def test_vertex_at_versions() -> None:
    assert keys("claude-3-5-sonnet-v2@20241022") == {("vertex", "claude-3-5-sonnet-v2@20241022")}
    assert parse_id("claude-3-5-sonnet-v2@20241022").version == "20241022"
    # Without its version, a Vertex id names every version, but only on Vertex.
    assert keys("claude-3-5-sonnet-v2", "vertex") == {("vertex", "claude-3-5-sonnet-v2@20241022")}
    assert keys("claude-3-5-sonnet-v2") == set()
    assert keys("claude-3-5-sonnet@20240620") == {("vertex", "claude-3-5-sonnet@20240620")}
    assert keys("claude-3-5-sonnet@20241022") == set()


def test_gemini_ids() -> None:
    assert keys("gemini-1.5-pro-001") == {
        ("gemini-api", "gemini-1.5-pro-001"),
        ("vertex", "gemini-1.5-pro-001"),
    }
    assert keys("models/gemini-1.5-flash") == {("gemini-api", "gemini-1.5-flash")}
    assert keys("publishers/google/models/gemini-1.5-pro-002") == {("vertex", "gemini-1.5-pro-002")}
    assert keys("gemini-1.5-pro-001", "vertex") == {("vertex", "gemini-1.5-pro-001")}
    assert models_of("gemini-1.5-pro") == set() or models_of("gemini-1.5-pro") <= {
        "gemini-1.5-pro-001",
        "gemini-1.5-pro-002",
    }


def test_vertex_resource_paths() -> None:
    path = (
        "projects/my-proj/locations/us-east5/publishers/anthropic/models/"
        "claude-3-opus@20240229:streamRawPredict"
    )
    assert keys(path) == {("vertex", "claude-3-opus@20240229")}
    assert parse_id(path).region == "us-east5"
    url = (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/"
        "publishers/google/models/gemini-1.5-flash:generateContent"
    )
    assert keys(url) == {("vertex", "gemini-1.5-flash")}
    gla = "https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:generateContent"
    assert keys(gla) == {("gemini-api", "gemini-1.5-flash")}


# --- Azure -----------------------------------------------------------------------------------


def test_azure_model_names_with_and_without_version() -> None:
    assert keys("gpt-35-turbo-0613") == {("azure-openai", "gpt-35-turbo-0613")}
    assert keys("gpt-35-turbo") == {
        ("azure-openai", "gpt-35-turbo-0613"),
        ("azure-openai", "gpt-35-turbo-0125"),
    }
    assert keys("gpt-35-turbo", "azure-openai") == keys("gpt-35-turbo")
    assert keys("gpt-4o", "azure-openai") == {
        ("azure-openai", "gpt-4o-2024-05-13"),
        ("azure-openai", "gpt-4o-2024-08-06"),
    }
    # Azure's gpt-4 has versions 0613 and turbo-2024-04-09, never gpt-4-32k or gpt-4o.
    assert keys("gpt-4", "azure-openai") == {
        ("azure-openai", "gpt-4-0613"),
        ("azure-openai", "gpt-4-turbo-2024-04-09"),
    }
    assert keys("gpt-4-32k", "azure-openai") == {("azure-openai", "gpt-4-32k-0613")}
    assert keys("o1-preview", "azure-openai") == {("azure-openai", "o1-preview-2024-09-12")}
    assert keys("gpt-3.5-turbo-0613", "azure-openai") == {("azure-openai", "gpt-35-turbo-0613")}


def test_azure_spelling_is_azure_only() -> None:
    assert keys("gpt-35-turbo-0613", "openai") == set()


# --- OpenRouter, LiteLLM routes, provider: prefixes --------------------------------------------


def test_openrouter_ids_and_variants() -> None:
    assert ("openrouter", "openai/gpt-4.5-preview") in keys("openai/gpt-4.5-preview")
    assert keys("openai/gpt-4.5-preview", "openrouter") == {
        ("openrouter", "openai/gpt-4.5-preview")
    }
    for suffix in ("free", "beta", "online", "nitro"):
        assert keys(f"meta-llama/llama-3-70b-instruct:{suffix}") == {
            ("openrouter", "meta-llama/llama-3-70b-instruct")
        }
    assert parse_id("anthropic/claude-3-opus:beta").variant == "beta"
    assert keys("anthropic/claude-3-opus:beta") == {("openrouter", "anthropic/claude-3-opus")}
    assert keys("openrouter/anthropic/claude-3-opus") == {("openrouter", "anthropic/claude-3-opus")}
    assert keys("meta-llama/llama-3-70b") == set()
    # Variants are OpenRouter's: a bare id with ":free" is not a model id.
    assert keys("gpt-4o:free") == set()


def test_litellm_routes() -> None:
    # "openai/..." is both an OpenRouter id and LiteLLM's OpenAI route.
    assert keys("openai/gpt-4.5-preview") == {
        ("openai", "gpt-4.5-preview"),
        ("openrouter", "openai/gpt-4.5-preview"),
    }
    assert keys("openai/gpt-4.5-preview", "openai") == {("openai", "gpt-4.5-preview")}
    assert keys("anthropic/claude-3-opus-20240229") == {("anthropic", "claude-3-opus-20240229")}
    assert keys("bedrock/anthropic.claude-v2:1") == {("bedrock", "anthropic.claude-v2:1")}
    assert keys("bedrock/converse/us.anthropic.claude-3-5-sonnet-20241022-v2:0") == {
        ("bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0")
    }
    assert keys("bedrock/us-west-2/mistral.mistral-large-2402-v1:0") == {
        ("bedrock", "mistral.mistral-large-2402-v1:0")
    }
    assert keys("vertex_ai/claude-3-sonnet@20240229") == {("vertex", "claude-3-sonnet@20240229")}
    assert keys("vertex_ai/gemini-1.5-pro-002") == {("vertex", "gemini-1.5-pro-002")}
    assert keys("azure/gpt-4o-2024-08-06") == {("azure-openai", "gpt-4o-2024-08-06")}
    assert keys("azure/eu/gpt-35-turbo-0125") == {("azure-openai", "gpt-35-turbo-0125")}
    assert keys("gemini/gemini-1.5-flash") == {("gemini-api", "gemini-1.5-flash")}
    assert keys("mistral/mistral-large-latest") == {("mistral", "mistral-large-latest")}
    assert keys("mistral/mistral-large-2402") == {("mistral", "mistral-large-2402")}
    assert keys("bedrock/claude-3-sonnet-20240229") == {
        ("bedrock", "anthropic.claude-3-sonnet-20240229-v1:0")
    }
    assert keys("azure/gpt-4.1") == set()


def test_provider_colon_prefixes() -> None:
    assert keys("openai:gpt-4.1") == {("openai", "gpt-4.1")}
    assert keys("anthropic:claude-3-opus-20240229") == {("anthropic", "claude-3-opus-20240229")}
    assert keys("bedrock:us.anthropic.claude-3-sonnet-20240229-v1:0") == {
        ("bedrock", "anthropic.claude-3-sonnet-20240229-v1:0")
    }
    assert keys("google-gla:gemini-1.5-flash") == {("gemini-api", "gemini-1.5-flash")}
    assert keys("google-vertex:gemini-1.5-flash") == {("vertex", "gemini-1.5-flash")}
    assert keys("mistral:mistral-large-2402") == {("mistral", "mistral-large-2402")}
    assert keys("ft:gpt-3.5-turbo-0613:acme::8abcDEF") == {("openai", "gpt-3.5-turbo-0613")}
    assert keys("openai:claude-3-opus-20240229") == set()
    assert keys("mistral:7b") == set()


def test_explicit_platform_filters_and_conflicts() -> None:
    assert keys("gpt-4o-2024-08-06", "openai") == {("openai", "gpt-4o-2024-08-06")}
    assert keys("claude-3-opus-20240229", "openrouter") == {
        ("openrouter", "anthropic/claude-3-opus")
    }
    assert keys("vertex_ai/gemini-1.5-pro-002", "gemini-api") == set()
    with pytest.raises(UnknownPlatformError):
        resolve("gpt-4", "openia", catalog=CATALOG)


def test_results_are_ordered_home_platform_first() -> None:
    platforms = [o.platform for o in resolve("claude-3-sonnet-20240229", catalog=CATALOG)]
    assert platforms == ["anthropic", "bedrock", "vertex"]
    # the maker's own API first, even when PLATFORMS lists another platform earlier
    platforms = [o.platform for o in resolve("mistral-large-2402", catalog=CATALOG)]
    assert platforms == ["mistral", "bedrock"]


def test_indexes_are_built_once_and_answers_memoized() -> None:
    catalog = make_catalog()
    first = resolve("gpt-4", catalog=catalog)
    resolver = catalog._memo["resolver"]
    second = resolve("gpt-4", catalog=catalog)
    assert first == second and first is not second  # callers get their own list
    assert catalog._memo["resolver"] is resolver
    assert resolver.resolve.cache_info().hits >= 1


# --- lookup and suggestions --------------------------------------------------------------------


def test_lookup_prefers_explicit_then_implied_then_home_platform() -> None:
    assert lookup("claude-3-sonnet-20240229", catalog=CATALOG).platform == "anthropic"
    assert lookup("claude-3-sonnet-20240229", "vertex", catalog=CATALOG).platform == "vertex"
    assert lookup("us.anthropic.claude-3-sonnet-20240229-v1:0", catalog=CATALOG).platform == (
        "bedrock"
    )
    assert lookup("openai/gpt-4.5-preview", catalog=CATALOG).platform == "openai"
    assert lookup("openrouter/openai/gpt-4.5-preview", catalog=CATALOG).platform == "openrouter"
    # no home platform for meta: the first offering
    assert lookup("llama3-70b-instruct", catalog=CATALOG).platform == "bedrock"


def test_lookup_unknown_raises_with_suggestions() -> None:
    with pytest.raises(UnknownModelError) as err:
        lookup("gpt-4o-2024-08-07", catalog=CATALOG)
    assert "gpt-4o-2024-08-06" in err.value.suggestions
    assert "gpt-4o-2024-08-07" in str(err.value)
    assert suggest("claude-3-sonet-20240229", catalog=CATALOG)[0] == "claude-3-sonnet-20240229"
    assert suggest("zzzzzzzz", catalog=CATALOG) == []


# --- properties --------------------------------------------------------------------------------

ROUTE_PREFIXES = {
    "openai": ["openai/", "openai:", "text-completion-openai/"],
    "anthropic": ["anthropic/", "anthropic:"],
    "bedrock": [
        "bedrock/",
        "bedrock/converse/",
        "bedrock/invoke/",
        "bedrock:",
        "bedrock/us-east-1/",
    ],
    "vertex": ["vertex_ai/", "google-vertex:", "publishers/x/models/"],
    "gemini-api": ["gemini/", "google-gla:", "models/"],
    "azure-openai": ["azure/", "azure:"],
    "mistral": ["mistral/", "mistral:"],
    "openrouter": ["openrouter/"],
}
REGIONS = ["us", "eu", "apac", "global", "us-gov", "jp", "au"]


def _recase(text: str, flips: list[bool]) -> str:
    return "".join(c.upper() if flips[i % len(flips)] else c.lower() for i, c in enumerate(text))


whitespace = st.text(alphabet=" \t\n", max_size=3)
flips = st.lists(st.booleans(), min_size=1, max_size=8)


@given(offering=st.sampled_from(ALL_OFFERINGS), flips=flips, left=whitespace, right=whitespace)
def test_platform_id_survives_case_and_whitespace(
    offering: Offering, flips: list[bool], left: str, right: str
) -> None:
    text = left + _recase(offering.platform_id, flips) + right
    assert offering in resolve(text, catalog=CATALOG)
    assert offering in resolve(text, offering.platform, catalog=CATALOG)


@given(
    offering=st.sampled_from([o for o in ALL_OFFERINGS if o.platform in ROUTE_PREFIXES]),
    data=st.data(),
)
def test_platform_id_survives_route_and_provider_prefixes(
    offering: Offering, data: st.DataObject
) -> None:
    prefix = data.draw(st.sampled_from(ROUTE_PREFIXES[offering.platform]))
    text = _recase(prefix + offering.platform_id, data.draw(flips))
    found = resolve(text, catalog=CATALOG)
    assert offering in found
    # "openai/gpt-4o" is also OpenRouter's id for the same model; nothing else may match.
    assert {o.platform for o in found} <= {offering.platform, "openrouter"}


@given(
    offering=st.sampled_from([o for o in ALL_OFFERINGS if o.platform == "bedrock"]),
    region=st.sampled_from(REGIONS),
    aws_region=st.sampled_from(["us-east-1", "eu-central-1", "ap-northeast-1", "us-gov-west-1"]),
)
def test_bedrock_id_survives_region_prefix_and_arn(
    offering: Offering, region: str, aws_region: str
) -> None:
    prefixed = f"{region}.{offering.platform_id}"
    assert resolve(prefixed, catalog=CATALOG) == [offering]
    assert resolve(f"bedrock/converse/{prefixed}", catalog=CATALOG) == [offering]
    arn = f"arn:aws:bedrock:{aws_region}::foundation-model/{offering.platform_id}"
    assert resolve(arn, catalog=CATALOG) == [offering]
    profile = f"arn:aws:bedrock:{aws_region}:123456789012:inference-profile/{prefixed}"
    assert resolve(profile, catalog=CATALOG) == [offering]


@given(st.text(max_size=80))
def test_parse_id_never_raises(text: str) -> None:
    parsed = parse_id(text)
    assert parsed.base == parsed.base.lower()
    assert parsed.text == text


def _names(offering: Offering) -> set[str]:
    model = CATALOG.models[offering.model]
    pid = offering.platform_id.lower()
    names = {pid, model.id, *model.aliases, pid.partition("@")[0]}
    undated = _undated(model.id)
    if undated:
        names.add(undated)
    if offering.platform == "azure-openai":
        from recast.catalog._resolve import _AZURE_VERSION

        match = _AZURE_VERSION.match(pid)
        if match:
            names.add(match.group("name"))
            names.add(match.group("name").replace("gpt-35", "gpt-3.5"))
    if offering.platform == "bedrock":
        names.add(pid.removesuffix(":0"))
    return names


known_texts = st.sampled_from(
    sorted({o.platform_id for o in ALL_OFFERINGS} | {m for m, *_ in ROWS})
)
noise = st.text(alphabet=string.ascii_letters + string.digits + "-_./:@ ", max_size=6)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(left=noise, known=known_texts, right=noise)
def test_resolve_never_returns_an_offering_the_text_does_not_name(
    left: str, known: str, right: str
) -> None:
    text = left + known + right
    parsed = parse_id(text)
    literal = parsed.normalized.rpartition(":")[0] if parsed.variant else parsed.normalized
    for offering in resolve(text, catalog=CATALOG):
        names = _names(offering)
        assert parsed.base in names or literal in names, (text, offering)


@given(st.text(max_size=40))
def test_resolve_random_text_is_safe(text: str) -> None:
    for offering in resolve(text, catalog=CATALOG):
        names = _names(offering)
        parsed = parse_id(text)
        assert parsed.base in names or parsed.normalized in names


# --- the bundled catalog -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "platform", "platform_id"),
    [
        ("gpt-4.5-preview", "openai", "gpt-4.5-preview"),
        ("  GPT-4o-2024-08-06 ", "openai", "gpt-4o-2024-08-06"),
        ("openai:gpt-4.1", "openai", "gpt-4.1"),
        ("openai/gpt-4.5-preview", "openai", "gpt-4.5-preview"),
        ("anthropic.claude-3-sonnet-20240229-v1:0", "bedrock", None),
        ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "bedrock", None),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0",
            "bedrock",
            "anthropic.claude-3-sonnet-20240229-v1:0",
        ),
        ("bedrock/converse/anthropic.claude-v2:1", "bedrock", "anthropic.claude-v2:1"),
        ("vertex_ai/claude-3-sonnet@20240229", "vertex", "claude-3-sonnet@20240229"),
        ("models/gemini-1.5-flash", "gemini-api", "gemini-1.5-flash"),
        ("gpt-35-turbo-0613", "azure-openai", "gpt-35-turbo-0613"),
        ("anthropic:claude-3-opus-20240229", "anthropic", "claude-3-opus-20240229"),
    ],
)
def test_bundled_catalog_forms(text: str, platform: str, platform_id: str | None) -> None:
    offering = lookup(text)
    assert offering.platform == platform
    expected = platform_id or parse_id(text).base
    assert offering.platform_id.lower() == expected


def test_bundled_catalog_negatives() -> None:
    for text in ("claude_2_client", "gpt-4o-2099-01-01", "not-a-model"):
        assert resolve(text) == []
    assert {o.model for o in resolve("gpt-4")} == {"gpt-4"}
    assert {o.model for o in resolve("claude-2.1")} == {"claude-2.1"}
    assert "gpt-4o" not in {o.model for o in resolve("gpt-4-0613")}


def test_region_specific_rows_follow_the_region_the_id_names() -> None:
    lifecycle = Lifecycle(shutdown_on=LifecycleDate(date(2026, 1, 1)))
    pid = "anthropic.claude-3-haiku-20240307-v1:0"
    catalog = Catalog.build(
        [Model("claude-3-haiku-20240307", "anthropic")],
        [
            Offering("claude-3-haiku-20240307", "bedrock", pid, lifecycle),
            Offering("claude-3-haiku-20240307", "bedrock", pid, lifecycle, region="us-gov-west-1"),
            Offering("claude-3-haiku-20240307", "bedrock", pid, lifecycle, region="eu-central-1"),
        ],
    )

    def regions(text: str) -> set[str | None]:
        return {o.region for o in resolve(text, catalog=catalog)}

    assert regions(pid) == {None, "us-gov-west-1", "eu-central-1"}
    assert regions(f"eu.{pid}") == {None, "eu-central-1"}
    assert regions(f"us-gov.{pid}") == {None, "us-gov-west-1"}
    assert regions(f"us.{pid}") == {None}
    assert regions(f"arn:aws:bedrock:eu-central-1::foundation-model/{pid}") == {
        None,
        "eu-central-1",
    }
    assert regions(f"global.{pid}") == {None, "us-gov-west-1", "eu-central-1"}
    assert lookup(f"eu.{pid}", catalog=catalog).region == "eu-central-1"
    assert lookup(f"us.{pid}", catalog=catalog).region is None
    assert lookup(pid, catalog=catalog).region is None


@pytest.mark.parametrize(
    ("text", "base", "platform"),
    [
        ("anthropic:messages:claude-3-haiku-20240307", "claude-3-haiku-20240307", "anthropic"),
        ("openai:chat:gpt-4o-mini", "gpt-4o-mini", "openai"),
        ("azureopenai:chat:my-deployment", "my-deployment", "azure-openai"),
        (
            "foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            "anthropic.claude-3-haiku-20240307-v1:0",
            "bedrock",
        ),
        ("inference-profile/us.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0", "bedrock"),
        (
            "bedrock_converse/anthropic.claude-3-haiku-20240307-v1:0",
            "anthropic.claude-3-haiku-20240307-v1:0",
            "bedrock",
        ),
        ("ollama/llama3:70b", "llama3:70b", "local"),
        ("ollama_chat/qwen2.5:32b", "qwen2.5:32b", "local"),
        ("hosted_vllm/meta-llama/Llama-3.1-8B", "meta-llama/llama-3.1-8b", "local"),
        ("ollama:llama3.2", "llama3.2", "local"),
    ],
)
def test_issue_14_id_forms(text: str, base: str, platform: str) -> None:
    parsed = parse_id(text)
    assert (parsed.base, parsed.platform) == (base, platform)
