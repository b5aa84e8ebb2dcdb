"""Get every candidate's response to every case: live calls, recorded replays, resumable.

Live candidates are called through :mod:`recast.providers` (concurrency and
RPM limits, retries honouring ``Retry-After``, the on-disk response cache).
Every answer goes to the store as soon as it arrives, through a writer that
commits whatever answers are waiting in one transaction
(:meth:`recast.store.Store.save_results`, idempotent): one commit per answer
made the store, not the upstream, the limit under load. A run stopped at any
point (Ctrl-C, a kill, a budget stop) resumes where it stopped when the same
command runs again: pairs already answered are read back, not paid twice.

An answer counts as done (progress, spend, ``RunOutcome``) only once its
transaction has committed. On Ctrl-C the answers not yet committed are saved
before the run stops. A hard kill loses the calls in flight and the answers
of at most one pending batch (bounded by the concurrency); a resume sends those
again, and with the response cache on (the default) the ones that had been
answered come back from the cache for free.

Budget: before any call, the cost of the pending calls is estimated from the
cases' token counts (characters / 4 for the request; the baseline's output
tokens for the answer) and catalog prices; a run whose spend so far plus that
estimate exceeds ``budget_usd`` stops before it starts. While running, each
call reserves its estimate before it is sent, and no call starts that could
take the spend (plus the reservations in flight) past the budget. Calls in
flight when the cap is reached still finish, so a run whose real answers are
longer than estimated can pass the budget by at most ``concurrency`` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from recast.audition._cases import Case, Response, ToolCall
from recast.audition.scorers import PriceLookup, output_tokens, request_tokens
from recast.errors import (
    BudgetExceeded,
    MissingKeyError,
    ProviderError,
    ProviderRejected,
    StoreError,
)

if TYPE_CHECKING:
    import httpx

    from recast.providers import CandidateSpec, ChatRequest, ChatResponse, Provider
    from recast.store import AuditionResult, Store

#: Called after each finished call with (candidate name, done, total, spent USD).
ProgressHook = Callable[[str, int, int, float], None]


@dataclass
class RunOutcome:
    """Responses per candidate (aligned with the cases) and what the run spent."""

    responses: dict[str, list[Response | None]]
    spent_usd: dict[str, float] = field(default_factory=dict)
    run_id: str | None = None
    resumed: int = 0
    called: int = 0
    estimate_usd: float | None = None


def fingerprint(cases: Sequence[Case], specs: Sequence[str]) -> str:
    """Identify an audition by its cases and candidate specs (same command → same run)."""
    digest = hashlib.sha256()
    for case in cases:
        digest.update(case.id.encode())
        digest.update(b"\x00")
        digest.update(case.prompt_key.encode())
        digest.update(b"\x01")
    for spec in specs:
        digest.update(spec.encode())
        digest.update(b"\x02")
    return digest.hexdigest()


def to_request(case: Case, model: str) -> ChatRequest:
    """The chat request of a case, addressed to ``model``."""
    from recast.providers import ChatRequest

    body: dict[str, object] = {"model": model, "messages": [dict(m) for m in case.messages]}
    body.update(dict(case.params))
    return ChatRequest.from_openai(body, case_id=case.id)


def from_chat_response(
    response: ChatResponse, case: Case, model: str, prices: PriceLookup | None
) -> Response:
    """Convert a provider response; cost from usage and prices (0 when cached or replayed)."""
    usage = response.usage
    result = Response(
        text=response.text,
        tool_calls=tuple(ToolCall(c.name, c.arguments, c.id) for c in response.tool_calls),
        input_tokens=usage.input_tokens if usage else None,
        output_tokens=usage.output_tokens if usage else None,
        latency_s=response.latency_ms / 1000 if response.latency_ms is not None else None,
        model=response.model or model,
        finish_reason=response.finish_reason or "",
        cached=not response.billed,
    )
    cost = 0.0
    if response.billed and prices is not None:
        price = prices(model)
        if price is not None:
            computed = price.cost(
                result.input_tokens if result.input_tokens is not None else request_tokens(case),
                output_tokens(result),
                usage.cached_tokens if usage else 0,
            )
            cost = computed or 0.0
    return _with_cost(result, cost)


def _with_cost(response: Response, cost: float) -> Response:
    from dataclasses import replace

    return replace(response, cost_usd=cost)


def _response_json(response: Response) -> dict[str, object]:
    return {
        "text": response.text,
        "tool_calls": [
            {"id": c.id, "name": c.name, "arguments": c.arguments} for c in response.tool_calls
        ],
        "model": response.model,
        "finish_reason": response.finish_reason,
        "cached": response.cached,
    }


def _response_from_store(
    data: object,
    row_tokens: tuple[int | None, int | None],
    latency_ms: float | None,
    cost: float | None,
    error: str | None,
) -> Response:
    payload = data if isinstance(data, dict) else {}
    calls = payload.get("tool_calls") or []
    return Response(
        text=str(payload.get("text", "")),
        tool_calls=tuple(
            ToolCall(str(c.get("name", "")), str(c.get("arguments", "{}")), str(c.get("id", "")))
            for c in calls
            if isinstance(c, dict)
        ),
        input_tokens=row_tokens[0],
        output_tokens=row_tokens[1],
        latency_s=latency_ms / 1000 if latency_ms is not None else None,
        cost_usd=cost,
        model=str(payload.get("model", "")),
        finish_reason=str(payload.get("finish_reason", "")),
        error=error or "",
        cached=bool(payload.get("cached", False)),
    )


def estimate_cost(
    cases: Sequence[Case],
    specs: Sequence[CandidateSpec],
    prices: PriceLookup | None,
    skip: set[tuple[str, str]] | None = None,
) -> float | None:
    """Pre-flight USD estimate of the pending live calls (``None`` when a price is unknown).

    Request tokens are characters / 4; output tokens are the baseline's
    (recorded, else characters / 4).
    """
    total = 0.0
    for spec in specs:
        price = prices(spec.model) if prices is not None else None
        pending = [c for c in cases if not skip or (c.id, spec.name) not in skip]
        if not pending:
            continue
        if price is None:
            return None
        for case in pending:
            out = output_tokens(case.baseline) if case.baseline else 256
            cost = price.cost(request_tokens(case), out)
            if cost is None:
                return None
            total += cost
    return total


def _auth_message(error: ProviderError, spec: CandidateSpec) -> str:
    from recast.providers import key_env_for

    env = spec.api_key_env
    if env is None:
        try:
            env = key_env_for(spec.kind)
        except Exception:
            env = None
    text = str(error).rstrip(".")
    if env and env in text:
        return f"Candidate {spec.name!r} cannot run: {text}."
    hint = f" Set {env} to a valid key." if env else " Check the provider's API key."
    return f"Candidate {spec.name!r} was refused by {spec.kind!r}: {text}.{hint}"


class _Budget:
    def __init__(self, limit: float | None, spent: float) -> None:
        self.limit = limit
        self.spent = spent
        self.reserved = 0.0
        self.stopped = False

    def reserve(self, amount: float) -> bool:
        if self.limit is None:
            return True
        if self.spent + self.reserved + amount > self.limit + 1e-12:
            self.stopped = True
            return False
        self.reserved += amount
        return True

    def settle(self, reserved: float, actual: float) -> None:
        if self.limit is not None:
            self.reserved -= reserved
        self.spent += actual


#: Calls in flight per connection pool (see :func:`_http_client`).
POOL_SHARD = 16


def _http_client(concurrency: int, timeout: float) -> httpx.AsyncClient:
    """An HTTP client whose connections keep ``concurrency`` calls busy at little CPU.

    httpcore's pool does work proportional to (connections x waiting requests) on
    every request, so one pool serving 128 calls in flight spent most of the
    runner's CPU on bookkeeping (0.2 of the configured rate in
    ``bench/audition_speed.py``). Requests are spread round-robin over pools of
    about :data:`POOL_SHARD` calls each, every pool unbounded (the provider's
    limiter is what bounds concurrency) and keeping its connections alive, so
    calls reuse connections instead of reconnecting.
    """
    import itertools

    import httpx

    shards = max(1, math.ceil(concurrency / POOL_SHARD))
    per_shard = math.ceil(max(1, concurrency) / shards)
    pools = [
        httpx.AsyncHTTPTransport(
            limits=httpx.Limits(
                max_connections=None, max_keepalive_connections=max(20, 2 * per_shard)
            )
        )
        for _ in range(shards)
    ]
    turn = itertools.cycle(pools)

    class _Spread(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return await next(turn).handle_async_request(request)

        async def aclose(self) -> None:
            for pool in pools:
                await pool.aclose()

    # Mounted on all:// rather than passed as the transport, so proxies from the
    # environment (HTTPS_PROXY, NO_PROXY), whose mounts are more specific, still apply.
    return httpx.AsyncClient(timeout=timeout, mounts={"all://": _Spread()})


class _BatchWriter:
    """Save answers in batches from a background task; announce each once durable.

    Workers :meth:`put` an answer and go back to calling the upstream at once; the
    writer task commits everything queued since its last commit in one
    transaction, then calls each answer's ``on_durable``. ``limit`` bounds the
    answers waiting (workers wait when it is reached), which bounds what a hard
    kill can lose. A failed save is raised to the next :meth:`put` and by
    :meth:`close`.
    """

    def __init__(self, store: Store, limit: int) -> None:
        self._store = store
        self._limit = max(1, limit)
        self._pending: list[tuple[AuditionResult, Callable[[], None]]] = []
        self._saving: list[tuple[AuditionResult, Callable[[], None]]] = []
        self._closing = False
        self._error: BaseException | None = None
        self._cond = asyncio.Condition()
        self._task = asyncio.create_task(self._loop())

    async def put(self, result: AuditionResult, on_durable: Callable[[], None]) -> None:
        async with self._cond:
            await self._cond.wait_for(
                lambda: self._error is not None or len(self._pending) < self._limit
            )
            if self._error is not None:
                raise self._error
            self._pending.append((result, on_durable))
            self._cond.notify_all()

    async def _loop(self) -> None:
        while True:
            async with self._cond:
                await self._cond.wait_for(lambda: bool(self._pending) or self._closing)
                if not self._pending:
                    return
                self._saving, self._pending = self._pending, []
                self._cond.notify_all()  # room for waiting workers
            try:
                await asyncio.to_thread(self._store.save_results, [r for r, _ in self._saving])
                batch, self._saving = self._saving, []
                for _, on_durable in batch:
                    on_durable()
            except BaseException as exc:  # a failed save or hook: stop the workers too
                async with self._cond:
                    self._error = exc
                    self._cond.notify_all()
                raise

    @property
    def failed(self) -> bool:
        """Whether a save failed (workers stop calling the upstream)."""
        return self._error is not None

    async def close(self) -> None:
        """Commit everything queued and stop; raise the error of a failed save."""
        async with self._cond:
            self._closing = True
            self._cond.notify_all()
        await self._task

    def salvage(self) -> None:
        """After an interruption: commit synchronously whatever is not saved yet.

        Runs on the way out of Ctrl-C or an error, so answers already paid for
        are not paid again on resume. A batch whose commit was cut short may
        already be stored; saving it again is harmless (saves are idempotent).
        """
        if self._task.done() and not self._task.cancelled():
            self._task.exception()  # retrieved: the caller raises its own error
        self._task.cancel()
        unsaved = [r for r, _ in self._saving + self._pending]
        self._saving, self._pending = [], []
        if unsaved:
            self._store.save_results(unsaved)


async def run_candidates(
    cases: Sequence[Case],
    specs: Sequence[CandidateSpec],
    *,
    store: Store,
    prices: PriceLookup | None,
    concurrency: int = 8,
    rpm: float | None = None,
    timeout: float = 120.0,
    max_attempts: int = 5,
    budget_usd: float | None = None,
    use_cache: bool = True,
    progress: ProgressHook | None = None,
    providers: Mapping[str, Provider] | None = None,
    run_name: str = "audition",
) -> RunOutcome:
    """Call every live candidate on every case, persisting each result; resume a previous run.

    ``providers`` overrides the provider built for a candidate name (tests).
    Raise :class:`BudgetExceeded` when the estimate or the spend passes
    ``budget_usd`` (results so far stay in the store) and
    :class:`ProviderRejected` at once on an authentication failure.
    """

    from recast.providers import Limits, ResponseCache, build_provider
    from recast.store import AuditionResult

    spec_texts = [s.text for s in specs]
    fp = fingerprint(cases, spec_texts)
    run = store.find_run(fp)
    if run is None:
        run = store.create_run(
            run_name,
            {"candidates": spec_texts, "cases": len(cases)},
            fp,
        )
    else:
        store.set_run_status(run.id, "running")
    done = store.completed_pairs(run.id)
    outcome = RunOutcome(responses={}, run_id=run.id)
    # Read back what earlier attempts of this run already have.
    index = {c.id: i for i, c in enumerate(cases)}
    for spec in specs:
        outcome.responses[spec.name] = [None] * len(cases)
        outcome.spent_usd[spec.name] = 0.0
        for row in store.results_for(run.id, spec.name):
            i = index.get(row.case_id)
            if i is None or row.error:
                continue
            outcome.responses[spec.name][i] = _response_from_store(
                row.response,
                (row.input_tokens, row.output_tokens),
                row.latency_ms,
                row.cost_usd,
                row.error,
            )
            outcome.spent_usd[spec.name] += row.cost_usd or 0.0
            outcome.resumed += 1
    spent = store.spent_usd(run.id)
    estimate = estimate_cost(cases, specs, prices, skip=done)
    outcome.estimate_usd = estimate
    if budget_usd is not None:
        if estimate is None:
            raise BudgetExceeded(
                "Cannot estimate the cost of this audition: a candidate has no catalog price. "
                "Drop --budget or name a candidate whose model the catalog prices."
            )
        if spent + estimate > budget_usd:
            raise BudgetExceeded(
                f"This audition is estimated at ${estimate:.4f} (plus ${spent:.4f} already "
                f"spent), over the --budget of ${budget_usd:.4f}. Raise --budget, or use "
                "--sample N to audition fewer cases."
            )
    budget = _Budget(budget_usd, spent)
    limits = Limits(concurrency=concurrency, rpm=rpm, max_attempts=max_attempts, timeout=timeout)
    cache = ResponseCache() if use_cache else None
    auth_failure: list[BaseException] = []
    writer = _BatchWriter(store, limit=max(1, concurrency))
    try:
        async with _http_client(concurrency, timeout) as http:
            built: dict[str, Provider] = {}
            for spec in specs:
                if providers and spec.name in providers:
                    provider = providers[spec.name]
                    from recast.providers import CachedProvider, LimitedProvider

                    provider = LimitedProvider(provider, limits)
                    if cache is not None:
                        provider = CachedProvider(provider, cache)
                    built[spec.name] = provider
                else:
                    try:
                        built[spec.name] = build_provider(spec, http, limits=limits, cache=cache)
                    except MissingKeyError as exc:
                        raise MissingKeyError(
                            _auth_message(exc, spec),
                            platform=spec.kind,
                            model=spec.model,
                            status=401,
                        ) from exc

            async def one(spec: CandidateSpec, i: int, provider: Provider) -> None:
                case = cases[i]
                price = prices(spec.model) if prices is not None else None
                out = output_tokens(case.baseline) if case.baseline else 256
                reserve = (price.cost(request_tokens(case), out) or 0.0) if price else 0.0
                if auth_failure or not budget.reserve(reserve):
                    return
                try:
                    chat = await provider.complete(to_request(case, spec.model))
                    response = from_chat_response(chat, case, spec.model, prices)
                except ProviderRejected as exc:
                    budget.settle(reserve, 0.0)
                    if exc.status in (401, 403) or isinstance(exc, MissingKeyError):
                        auth_failure.append(
                            ProviderRejected(
                                _auth_message(exc, spec),
                                platform=spec.kind,
                                model=spec.model,
                                status=exc.status,
                            )
                        )
                        return
                    response = Response(text="", error=str(exc))
                except ProviderError as exc:
                    budget.settle(reserve, 0.0)
                    response = Response(text="", error=str(exc))
                else:
                    budget.settle(reserve, response.cost_usd or 0.0)

                def durable() -> None:
                    outcome.responses[spec.name][i] = response
                    outcome.spent_usd[spec.name] += response.cost_usd or 0.0
                    outcome.called += 1
                    if progress is not None:
                        finished = sum(1 for r in outcome.responses[spec.name] if r is not None)
                        progress(spec.name, finished, len(cases), budget.spent)

                await writer.put(
                    AuditionResult(
                        run_id=run.id,
                        case_id=case.id,
                        candidate=spec.name,
                        response=_response_json(response),  # type: ignore[arg-type]
                        input_tokens=response.input_tokens,
                        output_tokens=response.output_tokens,
                        cost_usd=response.cost_usd if not response.error else 0.0,
                        latency_ms=response.latency_s * 1000
                        if response.latency_s is not None
                        else None,
                        error=response.error or None,
                    ),
                    durable,
                )

            # A pool of workers pulls cases from a shared iterator, so the provider's
            # concurrency slots stay busy (no waiting for a batch's slowest call).
            workers = max(1, concurrency) + 2
            for spec in specs:
                provider = built[spec.name]
                pending = iter(
                    [
                        i
                        for i, c in enumerate(cases)
                        if (c.id, spec.name) not in done and outcome.responses[spec.name][i] is None
                    ]
                )
                if progress is not None:
                    finished = sum(1 for r in outcome.responses[spec.name] if r is not None)
                    progress(spec.name, finished, len(cases), budget.spent)

                async def worker(
                    spec: CandidateSpec, provider: Provider, queue: Iterator[int]
                ) -> None:
                    for i in queue:
                        if auth_failure or budget.stopped or writer.failed:
                            return
                        await one(spec, i, provider)

                await asyncio.gather(*(worker(spec, provider, pending) for _ in range(workers)))
                if auth_failure:
                    raise auth_failure[0]
            await writer.close()
        if budget.stopped:
            raise BudgetExceeded(
                f"Stopped at the --budget of ${budget_usd:.4f} after spending "
                f"${budget.spent:.4f}; results so far are saved. Rerun with a higher "
                "--budget to finish (answered cases are not paid again)."
            )
    except BaseException:
        # The original error is what the user must see, even when the store
        # cannot take the salvaged answers or the status now.
        with contextlib.suppress(StoreError):
            writer.salvage()
        with contextlib.suppress(StoreError):
            store.set_run_status(run.id, "interrupted")
        raise
    finally:
        if cache is not None:
            cache.close()
    store.set_run_status(run.id, "complete")
    if math.isnan(sum(outcome.spent_usd.values())):
        outcome.spent_usd = {k: 0.0 for k in outcome.spent_usd}
    return outcome


def run_replays(
    cases: Sequence[Case],
    replays: Mapping[str, tuple[Mapping[str, Response], Mapping[str, Response]]],
) -> dict[str, list[Response | None]]:
    """Align recorded responses with the cases (zero cost, nothing to persist)."""
    from recast.audition._audition import align_replay

    return {
        name: align_replay(cases, by_id, by_prompt) for name, (by_id, by_prompt) in replays.items()
    }


def describe_fingerprint(cases: Sequence[Case], specs: Sequence[str]) -> str:
    """A short JSON summary of what a run covers (for logs)."""
    return json.dumps({"cases": len(cases), "candidates": list(specs)})
