"""The rules behind scan findings: one self-documenting rule per finding kind.

Each status a finding can have maps to one rule with a stable code (``RC1xx``), a
kebab-case name, a default SARIF level, and a docstring with fixed sections (``## What
it does``, ``## Why is this bad?``, ``## Example``, ``## Fix safety``, ``## References``)
that ``recast scan --explain CODE`` prints, as ``ruff rule F401`` does.

==========  =================  =========  ===============================================
code        name               level      when
==========  =================  =========  ===============================================
``RC100``   active-model       none       the offering is active (an inventory entry)
``RC101``   retired-model      error      the offering's shutdown date has passed
``RC102``   deprecated-model   warning    a shutdown date is announced (days left shown)
``RC103``   legacy-model       note       the provider calls it legacy, no shutdown yet
``RC104``   unknown-model      note       an id shape the catalog could not resolve
``RC105``   no-lifecycle-data  note       a known id that no lifecycle source describes there
``RC106``   local-model        none       a local runtime serves it (inventory, no lifecycle)
==========  =================  =========  ===============================================

``RC100`` and ``RC106`` findings are part of every :class:`~recast.scan.ScanResult` (the
scan answers "which models do we depend on?"), shown in the table and the JSON output, and
left out of the SARIF, GitHub and text outputs, which list problems only.
"""

from __future__ import annotations

import json
from typing import ClassVar

from recast.scan._finding import Finding

#: Where each rule's documentation lives on the web (``helpUri`` in SARIF).
DOCS_URL = "https://github.com/recast-dev/recast/blob/main/docs/scan.md"

#: The sections every rule docstring has, in order.
REQUIRED_SECTIONS: tuple[str, ...] = (
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Fix safety",
    "## References",
)


def _when(finding: Finding) -> str:
    """Say the shutdown date with its precision: ``on 2026-10-23``, ``in 2026-10``, …"""
    if finding.shutdown_on is None:
        return ""
    if finding.shutdown_precision == "month":
        return f"in {finding.shutdown_on.strftime('%Y-%m')}"
    if finding.shutdown_precision == "not_before":
        return f"not before {finding.shutdown_on.isoformat()}"
    return f"on {finding.shutdown_on.isoformat()}"


def _days(days: int | None) -> str:
    if days is None:
        return ""
    if days < 0:  # only a passed "not before" floor: an exact passed date reads retired
        return f"the floor passed {-days} days ago: it may shut down any day"
    if days == 0:
        return "today"
    if days == 1:
        return "1 day left"
    return f"{days} days left"


def _left(finding: Finding) -> str:
    """Days left, as many as the date allows: a floor promises *at least* that many."""
    text = _days(finding.days_left)
    if finding.shutdown_precision == "not_before" and (finding.days_left or 0) > 0:
        return f"at least {text}"
    return text


def _named(finding: Finding) -> str:
    """The id as written, with the canonical model when it reads differently."""
    if finding.model and finding.model != finding.text:
        return f"`{finding.text}` ({finding.model})"
    return f"`{finding.text}`"


def _on(finding: Finding) -> str:
    return f" on {finding.platform}" if finding.platform else ""


class Rule:
    """A kind of finding: code, name, default level and the texts shown to a person.

    Subclasses set the class attributes and write the documentation in their docstring.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    #: SARIF level by default: ``error``, ``warning``, ``note`` or ``none``.
    level: ClassVar[str]
    #: One line, for SARIF ``shortDescription`` and rule lists.
    summary: ClassVar[str]
    #: Whether ``recast scan --fix`` can rewrite it: ``always``, ``sometimes`` or ``never``.
    fix: ClassVar[str] = "never"

    @classmethod
    def doc(cls) -> str:
        """The rule's documentation (Markdown), without the common indentation."""
        import inspect  # only --explain and the SARIF/docs renderers read rule docs

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def section(cls, heading: str) -> str:
        """The text under ``## heading`` in the documentation (empty if there is none)."""
        lines = cls.doc().splitlines()
        out: list[str] = []
        inside = False
        for line in lines:
            if line.startswith("## "):
                inside = line[3:].strip() == heading
                continue
            if inside:
                out.append(line)
        return "\n".join(out).strip()

    @classmethod
    def url(cls) -> str:
        """The web address of this rule's documentation."""
        return f"{DOCS_URL}#{cls.code.lower()}-{cls.name}"

    def message(self, finding: Finding) -> str:
        """Say what is wrong with this finding, in one line."""
        raise NotImplementedError

    def fix_title(self, finding: Finding) -> str | None:
        """Say what to do about it, in one line (``None`` when there is nothing to do)."""
        if finding.replacement_ambiguous and finding.replacements:
            options = ", ".join(f"`{r}`" for r in finding.replacements)
            return f"Choose a replacement: {options} (ambiguous; `--fix` leaves it alone)"
        if finding.replacement:
            target = finding.replacement_platform_id or finding.replacement
            unverified = finding.replacement_state == "unknown"
            text = f"{'Consider' if unverified else 'Replace with'} `{target}`"
            if target != finding.replacement:
                text += f" ({finding.replacement})"
            if finding.replacement_chain:
                named = finding.replacement_chain[0]
                text += f" (the named replacement `{named}` is itself going away)"
            if unverified:
                text += (
                    f"; unverified: no lifecycle source describes it on {finding.platform}, "
                    "so `--fix` leaves it to you"
                )
            elif finding.replacement_note:
                text += f"; note: {finding.replacement_note}"
            return text
        if finding.replacement_note and finding.replacements:
            return f"No live replacement: {finding.replacement_note}"
        return None


RULES: dict[str, Rule] = {}


def _register(cls: type[Rule]) -> type[Rule]:
    RULES[cls.code] = cls()
    return cls


@_register
class ActiveModel(Rule):
    """
    ## What it does
    Lists a model id whose offering is active on the platform the code calls it on.
    It is an inventory entry, not a problem: the scan answers "which models do we
    depend on?", and this rule is how active models appear in that answer.

    ## Why is this bad?
    It is not. Knowing every model a codebase depends on is what lets `recast watch`
    warn you when one of them is deprecated later. Active findings are shown in the
    table and the JSON output and left out of the SARIF, GitHub and text outputs.

    ## Example
    ```python
    client.chat.completions.create(model="gpt-4.1", messages=messages)
    ```

    Use instead: nothing to change.

    ## Fix safety
    There is no fix: nothing is wrong.

    ## References
    - `recast models show <id>` for the offering's lifecycle and prices.
    """

    code = "RC100"
    name = "active-model"
    level = "none"
    summary = "Model id of an active offering (inventory)"

    def message(self, finding: Finding) -> str:
        if (
            finding.shutdown_precision == "not_before"
            and finding.days_left is not None
            and finding.days_left < 0
            and finding.shutdown_on is not None
        ):
            return (
                f"{_named(finding)} is active{_on(finding)} but may shut down any day "
                f"(its 'not before {finding.shutdown_on.isoformat()}' floor has passed)"
            )
        return f"{_named(finding)} is active{_on(finding)}"

    def fix_title(self, finding: Finding) -> str | None:
        return None


@_register
class RetiredModel(Rule):
    """
    ## What it does
    Flags a model id whose offering is retired on the platform the code calls it on:
    its shutdown date has passed (as of `--as-of`, today by default).

    ## Why is this bad?
    Calls to a retired model fail, usually with HTTP 404 or 400 ("model not found" or
    "model has been deprecated"). Code that still names one is either broken in
    production already or sits on a path nobody has exercised since the shutdown.

    ## Example
    ```python
    client.chat.completions.create(model="gpt-4.5-preview", messages=messages)
    ```

    Use instead the replacement the finding names (here the one OpenAI named when it
    retired `gpt-4.5-preview`; `recast scan --fix` writes it for you):
    ```python
    client.chat.completions.create(model="gpt-4.1", messages=messages)
    ```

    ## Fix safety
    `recast scan --fix` rewrites the id to the provider's recommended replacement when
    there is exactly one; it never touches an ambiguous one. The fix is unsafe in the
    ruff sense: the replacement answers differently, costs differently and may need
    request changes (o-series models take `max_completion_tokens` and no `temperature`).
    Run `recast audition` on your own prompts before shipping it.

    ## References
    - `recast models show <id>` for the dates and the sources behind them.
    - OpenAI: https://platform.openai.com/docs/deprecations
    - Anthropic: https://docs.anthropic.com/en/docs/resources/model-deprecations
    - Amazon Bedrock: https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html
    - Google Vertex AI: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions
    - Azure OpenAI: https://learn.microsoft.com/azure/ai-services/openai/concepts/model-retirements
    """

    code = "RC101"
    name = "retired-model"
    level = "error"
    summary = "Model id of a retired offering"
    fix = "sometimes"

    def message(self, finding: Finding) -> str:
        when = _when(finding)
        if when:
            return f"{_named(finding)} was retired{_on(finding)} {when}"
        return f"{_named(finding)} is retired{_on(finding)}"


@_register
class DeprecatedModel(Rule):
    """
    ## What it does
    Flags a model id whose offering is deprecated on the platform the code calls it on:
    the provider has announced that it will stop serving it, usually with a shutdown
    date. The message says the date and how many days are left (as of `--as-of`).

    ## Why is this bad?
    On the shutdown date the calls start failing. Migrating takes time: choosing a
    replacement that behaves like the old model on your prompts, adapting prompts and
    parameters, and rolling out. `--fail-within 90d` turns the warning into a failing
    check when the date comes close.

    ## Example
    ```yaml
    llm:
      model: anthropic.claude-3-sonnet-20240229-v1:0   # Bedrock
    ```

    Use instead the replacement the finding names, in the same platform's form (here a
    Bedrock id; check the finding, replacements age too):
    ```yaml
    llm:
      model: anthropic.claude-3-5-sonnet-20241022-v2:0
    ```

    ## Fix safety
    As for `RC101`: `--fix` applies the single recommended replacement, never an
    ambiguous one, and the change of model is unsafe until auditioned.

    ## References
    - `recast models upcoming --within 90d` lists every shutdown coming up.
    - `recast audition` compares candidates with the old model on your own prompts.
    """

    code = "RC102"
    name = "deprecated-model"
    level = "warning"
    summary = "Model id of a deprecated offering (shutdown announced)"
    fix = "sometimes"

    def message(self, finding: Finding) -> str:
        when = _when(finding)
        if not when:
            return f"{_named(finding)} is deprecated{_on(finding)} (no shutdown date announced)"
        days = _left(finding)
        tail = f" ({days})" if days else ""
        return f"{_named(finding)} is deprecated{_on(finding)}: shuts down {when}{tail}"


@_register
class LegacyModel(Rule):
    """
    ## What it does
    Notes a model id whose offering the provider calls legacy: still served, superseded
    by a newer model, and likely to be deprecated next. No shutdown date is announced
    yet (when there is one the finding is `RC102`).

    ## Why is this bad?
    Legacy models get no improvements and are the first to be deprecated, often with a
    few months' notice. Planning the move now is cheaper than under a deadline.

    ## Example
    ```javascript
    const reply = await openai.chat.completions.create({ model: "gpt-4-turbo" });
    ```

    Use instead the model the provider names as its successor:
    ```javascript
    const reply = await openai.chat.completions.create({ model: "gpt-4.1" });
    ```

    ## Fix safety
    `--fix` rewrites it only when the provider names a single replacement; the change of
    model is unsafe until auditioned.

    ## References
    - `recast watch` alerts you when a model you use is deprecated.
    """

    code = "RC103"
    name = "legacy-model"
    level = "note"
    summary = "Model id of a legacy offering (superseded, no shutdown yet)"
    fix = "sometimes"

    def message(self, finding: Finding) -> str:
        when = _when(finding)
        tail = f", shutdown expected {when}" if when else ""
        return f"{_named(finding)} is a legacy model{_on(finding)}{tail}"


@_register
class UnknownModel(Rule):
    """
    ## What it does
    Lists text shaped like a model id (a known family such as `gpt-`, `claude-`,
    `gemini-`, a Bedrock or Vertex form, a provider route) that the catalog could not
    resolve. It is listed rather than silently dropped, so nothing the scan saw is lost.

    ## Why is this bad?
    It may be a typo (`gpt-4o-mini-2024-07-81`), a model newer than your catalog, a
    fine-tuned or private model, or a name the provider never served. A typo fails at
    run time; a model newer than the catalog has no lifecycle to watch.

    ## Example
    ```python
    MODEL = "claude-3-sonet-20240229"
    ```

    Use instead:
    ```python
    MODEL = "claude-3-sonnet-20240229"
    ```

    ## Fix safety
    There is no automatic fix. Run `recast models sync` to refresh the catalog, check
    the spelling with `recast models search <text>`, or silence the line with
    `# recast: ignore[<id>]` when the id is yours (a fine-tune, a private deployment).

    ## References
    - `recast models search <text>` finds the closest known ids.
    """

    code = "RC104"
    name = "unknown-model"
    level = "note"
    summary = "Model-shaped id the catalog could not resolve"

    def message(self, finding: Finding) -> str:
        if finding.model and finding.platform:
            return (
                f"`{finding.text}` ({finding.model}) has no offering on {finding.platform} "
                "in the catalog"
            )
        return f"`{finding.text}` looks like a model id but is not in the catalog"

    def fix_title(self, finding: Finding) -> str | None:
        return (
            f"Check the spelling (`recast models search {finding.text}`) or run "
            "`recast models sync`"
        )


@_register
class NoLifecycleData(Rule):
    """
    ## What it does
    Lists a model id the catalog knows on this platform (a price list or model list names
    it) but that no lifecycle source describes there: nobody says whether it is active,
    deprecated or being shut down. recast says so instead of calling it fine.

    ## Why is this bad?
    An offering with no lifecycle source can be deprecated without anyone you rely on
    noticing: the platform may publish its own dates (Bedrock, Vertex and Azure retire
    models on their own schedules) that none of the catalog's sources carry yet.

    ## Example
    ```python
    client.invoke_model(modelId="cohere.embed-english-v3")
    ```

    Use instead: the same id, once you know its lifecycle. Look the model up on the
    platform's own lifecycle page, then either add the fact to the catalog overlay with
    its URL (see `docs/catalog-sources.md`) or run `recast models sync` to pick up
    sources newer than your catalog.

    ## Fix safety
    There is nothing to rewrite: the model may be perfectly alive.

    ## References
    - `recast models show <id> --platform <platform>` lists what each source says.
    - `recast models sources` counts the offerings with no lifecycle source.
    """

    code = "RC105"
    name = "no-lifecycle-data"
    level = "note"
    summary = "Known model id that no lifecycle source describes on its platform"

    def message(self, finding: Finding) -> str:
        if finding.shutdown_on is not None:  # dated, but its state that day is not known
            return (
                f"{_named(finding)} shuts down{_on(finding)} {_when(finding)}, but no source "
                "says whether it was already deprecated on the scan's day"
            )
        return f"{_named(finding)} has no lifecycle data{_on(finding)}: nobody says until when"

    def fix_title(self, finding: Finding) -> str | None:
        return "Check the platform's lifecycle page, or run `recast models sync`"


@_register
class LocalModel(Rule):
    """
    ## What it does
    Lists a model served by a local runtime (Ollama, llama.cpp, vLLM, LM Studio): an
    `ollama/` route, a tag such as `qwen2.5:32b-instruct-q8_0`, or an open-weight model
    id passed to a local client (`ChatOllama(model="llama3.2")`). It is an inventory
    entry, like `RC100`.

    ## Why is this bad?
    It is not. No provider retires a model you run yourself, so there is no lifecycle to
    judge; the finding says so instead of judging the id on a hosted API it never calls.

    ## Example
    ```python
    llm = ChatOllama(model="llama3.2")
    ```

    Use instead: nothing to change.

    ## Fix safety
    There is no fix: nothing is wrong.

    ## References
    - `--platform` overrides the platform when the evidence in the file misleads.
    """

    code = "RC106"
    name = "local-model"
    level = "none"
    summary = "Model id served by a local runtime (inventory, no lifecycle)"

    def message(self, finding: Finding) -> str:
        return f"`{finding.text}` runs on a local runtime (no provider lifecycle)"


#: Rule code of each finding status (the same table as ``recast.scan._finding.CODES``).
STATUS_CODES: dict[str, str] = {
    "active": "RC100",
    "retired": "RC101",
    "deprecated": "RC102",
    "legacy": "RC103",
    "unknown": "RC104",
    "unverified": "RC105",
    "local": "RC106",
}


def rule_for(finding: Finding) -> Rule:
    """Return the rule of a finding: by its ``code``, else by its status."""
    rule = RULES.get(finding.code)
    if rule is None:
        rule = RULES[STATUS_CODES[finding.status]]
    return rule


def find_rule(code_or_name: str) -> Rule:
    """Return the rule with this code (``RC101``, any case) or name (``retired-model``).

    Raises :class:`recast.errors.ConfigError` naming the known codes when there is none.
    """
    wanted = code_or_name.strip()
    for rule in RULES.values():
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            return rule
    from recast.errors import ConfigError

    known = ", ".join(f"{r.code} ({r.name})" for r in RULES.values())
    raise ConfigError(f"No scan rule {code_or_name!r}. Known rules: {known}.")


def rule_dict(rule: Rule) -> dict[str, str]:
    """The rule as JSON-ready data (``recast scan --explain CODE --format json``)."""
    return {
        "code": rule.code,
        "name": rule.name,
        "level": rule.level,
        "summary": rule.summary,
        "fix": rule.fix,
        "url": rule.url(),
        "explanation": rule.doc(),
    }


def explain(code: str, fmt: str = "text") -> str:
    """Return a rule's documentation as ``text`` (Markdown) or ``json``.

    Raises :class:`recast.errors.ConfigError` for an unknown code or format.
    """
    rule = find_rule(code)
    if fmt == "json":
        return json.dumps({"schema_version": 1, **rule_dict(rule)}, indent=2) + "\n"
    if fmt != "text":
        from recast.errors import ConfigError

        raise ConfigError(f"Unknown --format {fmt!r} for --explain; use text or json.")
    header = f"# {rule.name} ({rule.code})\n\n"
    meta = f"Default level: {rule.level}. Fix: {rule.fix}.\n\n"
    return header + meta + rule.doc() + "\n"


def rules_markdown() -> str:
    """Every rule as Markdown: a summary table, then each rule's documentation (docs/scan.md)."""
    out = [
        "| code | name | level | fix | what |",
        "|---|---|---|---|---|",
    ]
    for rule in RULES.values():
        out.append(
            f"| [`{rule.code}`](#{rule.code.lower()}-{rule.name}) | `{rule.name}` | {rule.level} "
            f"| {rule.fix} | {rule.summary} |"
        )
    for rule in RULES.values():
        doc = rule.doc().replace("\n## ", "\n#### ")
        if doc.startswith("## "):
            doc = "#### " + doc[3:]
        out += ["", f"### {rule.code} {rule.name}", "", doc]
    return "\n".join(out) + "\n"
