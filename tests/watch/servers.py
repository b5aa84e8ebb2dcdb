"""Real servers on loopback for the watch channels: a webhook receiver, an SMTP server
(aiosmtpd) and a server speaking the GitHub issues REST endpoints recast uses."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every request; answers ``status`` (per path prefix, else 200)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if urlsplit(r.path).path == path]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length)
            receiver.requests.append(
                Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status = receiver.statuses.get(urlsplit(self.path).path, 200)
            reply = b"ok" if status < 300 else b"no_service"
            if status == 204:
                reply = b""
            self.send_response(status)
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    return Handler


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- GitHub


@dataclass
class FakeGitHub:
    """Issues of one repository, as the REST API documents them; the token is checked."""

    url: str
    token: str
    repo: str
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[str]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)


def _github_handler(gh: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    issue_path = re.compile(rf"^/repos/{re.escape(gh.repo)}/issues/(\d+)$")
    comment_path = re.compile(rf"^/repos/{re.escape(gh.repo)}/issues/(\d+)/comments$")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, document: Any) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _checked(self) -> bool:
            if self.headers.get("authorization") != f"Bearer {gh.token}":
                self._reply(401, {"message": "Bad credentials", "status": "401"})
                return False
            if self.headers.get("accept") != "application/vnd.github+json":
                self._reply(415, {"message": "Unsupported Accept"})
                return False
            if self.headers.get("x-github-api-version") != "2022-11-28":
                self._reply(400, {"message": "Bad API version"})
                return False
            return True

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("content-length", 0))
            data = json.loads(self.rfile.read(length) or b"{}")
            assert isinstance(data, dict)
            return data

        def _issue(self, number: int) -> dict[str, Any]:
            issue = gh.issues[number]
            return {
                "number": number,
                "html_url": f"https://github.com/{gh.repo}/issues/{number}",
                **issue,
            }

        def do_GET(self) -> None:
            gh.calls.append(("GET", self.path))
            if not self._checked():
                return
            parts = urlsplit(self.path)
            if parts.path != "/search/issues":
                self._reply(404, {"message": "Not Found"})
                return
            query = parse_qs(parts.query).get("q", [""])[0]
            phrase = re.search(r'"([^"]+)"', query)
            if f"repo:{gh.repo}" not in query or phrase is None:
                self._reply(422, {"message": "Validation Failed"})
                return
            items = [self._issue(n) for n, i in gh.issues.items() if phrase.group(1) in i["body"]]
            self._reply(
                200, {"total_count": len(items), "incomplete_results": False, "items": items}
            )

        def do_POST(self) -> None:
            gh.calls.append(("POST", self.path))
            if not self._checked():
                return
            data = self._body()
            if self.path == f"/repos/{gh.repo}/issues":
                if not isinstance(data.get("title"), str) or not data["title"]:
                    self._reply(422, {"message": "Validation Failed"})
                    return
                number = len(gh.issues) + 1
                gh.issues[number] = {
                    "title": data["title"],
                    "body": data.get("body", ""),
                    "labels": [{"name": n} for n in data.get("labels", [])],
                    "state": "open",
                }
                self._reply(201, self._issue(number))
                return
            match = comment_path.match(self.path)
            if match and int(match.group(1)) in gh.issues and isinstance(data.get("body"), str):
                gh.comments.setdefault(int(match.group(1)), []).append(data["body"])
                self._reply(201, {"id": len(gh.comments), "body": data["body"]})
                return
            self._reply(404, {"message": "Not Found"})

        def do_PATCH(self) -> None:
            gh.calls.append(("PATCH", self.path))
            if not self._checked():
                return
            data = self._body()
            match = issue_path.match(self.path)
            if not match or int(match.group(1)) not in gh.issues:
                self._reply(404, {"message": "Not Found"})
                return
            allowed = {"title", "body", "state", "state_reason", "labels"}
            if set(data) - allowed or data.get("state", "open") not in ("open", "closed"):
                self._reply(422, {"message": "Validation Failed"})
                return
            if data.get("state_reason") not in (None, "completed", "not_planned", "reopened"):
                self._reply(422, {"message": "Validation Failed"})
                return
            gh.issues[int(match.group(1))].update(data)
            self._reply(200, self._issue(int(match.group(1))))

    return Handler


@contextmanager
def fake_github(token: str = "ghp_test_token", repo: str = "acme/app") -> Iterator[FakeGitHub]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    gh = FakeGitHub(url=f"http://127.0.0.1:{server.server_address[1]}", token=token, repo=repo)
    server.RequestHandlerClass = _github_handler(gh)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gh
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- SMTP


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Any] = field(default_factory=list)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            from email import message_from_bytes, policy

            box.messages.append(
                (envelope, message_from_bytes(envelope.content, policy=policy.default))
            )
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
