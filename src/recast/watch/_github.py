"""GitHub issues: one issue per watched model, updated rather than duplicated (Renovate's way).

Endpoints used (REST, ``X-GitHub-Api-Version: 2022-11-28``):

* ``GET /search/issues`` finds an issue by the marker in its body, when the store does not
  know its number yet (a fresh CI store);
* ``POST /repos/{owner}/{repo}/issues`` creates one; ``PATCH /repos/{owner}/{repo}/issues/N``
  updates its title and body (reopening it), or closes it once the model is off the watch
  set; ``POST /repos/{owner}/{repo}/issues/N/comments`` adds each new alert as a comment,
  so people watching the issue are notified.

Issue numbers are kept in the store's watch state. Creating an issue is claimed in the
store first, so two watchers at once never open two issues for one model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import httpx

from recast.watch._alert import Alert
from recast.watch._config import GitHubChannel
from recast.watch._deliver_http import DeliveryError, scrub, secret_from_env
from recast.watch._watchset import WatchEntry

API_VERSION = "2022-11-28"
MARKER = "recast-watch:"
DASHBOARD_KEY = "dashboard"


def marker(key: str) -> str:
    """The hidden line that names the watched offering in an issue's body."""
    return f"<!-- {MARKER} {key} -->"


def issue_title(alert: Alert) -> str:
    """``recast: gpt-4.5-preview on openai shuts down 2025-07-14 (exact)``."""
    o = alert.offering
    if alert.state == "retired":
        return f"recast: {o.platform_id} on {o.platform} is retired"
    if alert.shutdown is not None:
        return f"recast: {o.platform_id} on {o.platform} shuts down {alert.shutdown.text()}"
    return f"recast: {o.platform_id} on {o.platform} is {alert.state}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def issue_body(alert: Alert) -> str:
    """The per-model issue: facts, where it is used, the next step; marker first."""
    lines = [
        marker(alert.entry.key),
        f"## {alert.offering.platform_id} on {alert.offering.platform}",
        "",
    ]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {label} | {_cell(value)} |" for label, value in alert.facts()]
    lines += ["", "### Used in", ""]
    lines += [f"- `{line}`" for line in alert.usage_lines()]
    lines += ["", "### Checklist", ""]
    lines += [
        f"- [ ] Audition the replacement: `{alert.next_command}`"
        if alert.next_command
        else "- [ ] Choose a replacement (none is live: see above)",
        "- [ ] Write the migration plan: `recast plan --format markdown`",
        "- [ ] Switch (`recast scan --fix`, or a gateway redirect), then watch the canary",
    ]
    lines += ["", f"_Updated by `recast watch` as of {alert.as_of.isoformat()}._", ""]
    return "\n".join(lines)


def comment_body(alert: Alert) -> str:
    """The comment each new alert adds."""
    return "\n".join(
        [f"**{e.title}**" for e in alert.events] + ["", f"_recast watch, {alert.as_of}_"]
    )


class GitHubSender:
    """Keeps one issue per watched model in step with the alerts, and a dashboard issue."""

    def __init__(
        self,
        name: str,
        config: GitHubChannel,
        *,
        store: Any,
        run: str,
        client: httpx.Client | None = None,
    ) -> None:
        self.name, self.config, self.store, self.run = name, config, store, run
        self._client = client
        self._token = ""

    # -- HTTP ------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._token = secret_from_env(self.name, self.config.token_env, "GitHub token")
            self._client = httpx.Client(
                base_url=self.config.api_url.rstrip("/"),
                timeout=self.config.timeout,
                headers={
                    "authorization": f"Bearer {self._token}",
                    "accept": "application/vnd.github+json",
                    "x-github-api-version": API_VERSION,
                    "user-agent": "recast-watch",
                },
            )
        return self._client

    def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http().request(method, path, **kwargs)
        except httpx.TransportError as exc:
            reason = scrub(str(exc) or type(exc).__name__, self._token)
            raise DeliveryError(
                self.name, f"cannot reach {self.config.api_url} ({reason}); retried next run."
            ) from exc
        if response.status_code >= 400:
            raise self._error(response)
        return response.json() if response.content else None

    def _error(self, response: httpx.Response) -> DeliveryError:
        status = response.status_code
        try:
            message = str(response.json().get("message", ""))
        except ValueError:
            message = response.text[:120]
        message = scrub(message, self._token)
        variable = f"${self.config.token_env}"
        hint = {
            401: f"the token in {variable} is revoked or wrong; create a new one with "
            "Issues: read and write",
            403: f"the token in {variable} may not write issues of {self.config.repo} "
            "(or a rate limit); give it Issues: read and write",
            404: f"repository {self.config.repo!r} not found, or the token in {variable} "
            "cannot see it",
            410: f"issues are disabled on {self.config.repo}",
            422: "GitHub refused the issue's fields",
        }.get(status, "GitHub refused the request")
        return DeliveryError(self.name, f"HTTP {status} ({message or 'no message'}): {hint}.")

    # -- issue numbers kept in the store ----------------------------------------------

    @property
    def _state_key(self) -> str:
        return f"github:{self.name}:{self.config.repo}"

    def _numbers(self) -> dict[str, int]:
        value = self.store.get_state(self._state_key, {}) if self.store else {}
        return {str(k): int(v) for k, v in dict(value or {}).items()}

    def _remember(self, key: str, number: int | None) -> None:
        if self.store is None:
            return
        numbers = self._numbers()
        if number is None:
            numbers.pop(key, None)
        else:
            numbers[key] = number
        self.store.set_state(self._state_key, numbers)

    def _search(self, key: str) -> int | None:
        query = f'"{MARKER} {key}" repo:{self.config.repo} is:issue in:body'
        found = self._call("GET", "/search/issues", params={"q": query, "per_page": 10})
        for item in (found or {}).get("items", ()):
            if marker(key) in (item.get("body") or ""):
                return int(item["number"])
        return None

    def _issue_number(self, key: str, title: str, body: str) -> int:
        """The issue's number: known, found by search, else created (claimed first)."""
        number = self._numbers().get(key)
        if number is None:
            number = self._search(key)
        if number is None:
            claim = f"github-issue:{self.config.repo}:{key}"
            if not self.store.claim_alert(claim, self.name, {"repo": self.config.repo}, self.run):
                raise DeliveryError(
                    self.name, f"another watcher is opening the issue for {key}; retried next run."
                )
            created = self._call(
                "POST",
                f"/repos/{self.config.repo}/issues",
                json={"title": title, "body": body, "labels": list(self.config.labels)},
            )
            number = int(created["number"])
            self.store.finish_alert(claim, self.name, self.run)
        self._remember(key, number)
        return number

    # -- the channel ------------------------------------------------------------------

    def send(self, alert: Alert) -> None:
        """Create or update the model's issue, then comment with the new events."""
        title, body = issue_title(alert), issue_body(alert)
        number = self._issue_number(alert.entry.key, title, body)
        path = f"/repos/{self.config.repo}/issues/{number}"
        self._call("PATCH", path, json={"title": title, "body": body, "state": "open"})
        self._call("POST", f"{path}/comments", json={"body": comment_body(alert)})

    def finish(
        self, entries: Iterable[WatchEntry], as_of: date, rows: list[Mapping[str, Any]]
    ) -> None:
        """Close the issues of models off the watch set; refresh the dashboard issue."""
        current = {entry.key for entry in entries}
        if self.config.close:
            for key, number in sorted(self._numbers().items()):
                if key == DASHBOARD_KEY or key in current:
                    continue
                path = f"/repos/{self.config.repo}/issues/{number}"
                self._call(
                    "POST",
                    f"{path}/comments",
                    json={"body": f"No longer on the watch set as of {as_of}: closing."},
                )
                self._call("PATCH", path, json={"state": "closed", "state_reason": "completed"})
                self._remember(key, None)
        if self.config.dashboard:
            self._dashboard(as_of, rows)

    def _dashboard(self, as_of: date, rows: list[Mapping[str, Any]]) -> None:
        numbers = self._numbers()
        lines = [marker(DASHBOARD_KEY), "## Model lifecycle dashboard", ""]
        lines += ["| model | platform | state | shutdown | days left | live replacement | issue |"]
        lines += ["|---|---|---|---|---|---|---|"]
        for row in rows:
            number = numbers.get(str(row["key"]))
            issue = f"#{number}" if number else ""
            lines.append(
                f"| {_cell(str(row['platform_id']))} | {row['platform']} | {row['state']} | "
                f"{_cell(str(row['shutdown']))} | {row['days_left']} | "
                f"{_cell(str(row['replacement']))} | {issue} |"
            )
        lines += ["", f"_Updated by `recast watch` as of {as_of.isoformat()}._", ""]
        body = "\n".join(lines)
        title = "recast: model lifecycle dashboard"
        number = self._issue_number(DASHBOARD_KEY, title, body)
        self._call(
            "PATCH",
            f"/repos/{self.config.repo}/issues/{number}",
            json={"title": title, "body": body, "state": "open"},
        )
