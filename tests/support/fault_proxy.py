"""A tiny HTTP proxy in front of the real sandbox that rewrites chosen answers.

For the shapes the sandbox cannot (yet) produce: a 401/403/404 on a poll, an
HTML 502, a 200 whose body is not JustiFi's, a status value nobody knows.
Everything else goes to the sandbox over real HTTP and comes back untouched,
so a test through the proxy is still a test against the sandbox. Both an
engine in the test process and a `pos-app` subprocess can use it (its URL is
a plain http://127.0.0.1 one).

Each `Rewrite` picks matching requests by method and path pattern, lets the
first `skip` of them through, then rewrites the next `count` answers. With
`forward` the request is carried out by the sandbox first (the answer is
lost after the fact, like a proxy's 502 after the work was done); without it
nothing reaches the sandbox. Every rewrite is recorded with its wall-clock
time, so a test can measure how soon the lane showed the trouble.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.support.sandbox import SandboxHandle

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "content-encoding",
        "host",
        "proxy-connection",
        "upgrade",
        "te",
        "trailer",
    }
)
HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def json_error(code: str, message: str = "refused") -> bytes:
    """A JustiFi error body."""
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def with_status(value: str) -> Callable[[bytes], bytes]:
    """A body transform that sets the object's `status` to `value` (schema drift)."""

    def transform(body: bytes) -> bytes:
        parsed = json.loads(body)
        parsed["data"]["status"] = value
        return json.dumps(parsed).encode()

    return transform


@dataclass
class Rewrite:
    """Which answers to replace, and with what."""

    method: str
    path: str  # fnmatch pattern on the URL path
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)  # more headers on the answer
    skip: int = 0  # matching requests let through untouched first
    count: int = 1  # answers rewritten after those
    forward: bool = False  # let the sandbox carry the request out first
    transform: Callable[[bytes], bytes] | None = None  # rewrite the real body instead
    after: Callable[[], None] | None = None  # run once the sandbox answered, before replying
    seen: int = 0
    done: int = 0

    def take(self, method: str, path: str) -> bool:
        """Whether this request's answer is to be rewritten (counts it)."""
        if self.method not in ("*", method) or not fnmatch.fnmatchcase(path, self.path):
            return False
        self.seen += 1
        if self.seen <= self.skip or self.done >= self.count:
            return False
        self.done += 1
        return True


@dataclass
class Hit:
    """One rewritten answer."""

    at: float  # time.time()
    method: str
    path: str
    status: int


@dataclass
class FaultProxy:
    """The proxy's URL, its rules and what it rewrote."""

    url: str
    upstream: str
    rules: list[Rewrite] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rule: Rewrite) -> Rewrite:
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def first_hit(self) -> float:
        assert self.hits, "no answer was rewritten"
        return self.hits[0].at

    def _rule_for(self, method: str, path: str) -> Rewrite | None:
        with self.lock:
            for rule in self.rules:
                if rule.take(method, path):
                    return rule
        return None


def _handler(proxy: FaultProxy, client: httpx.Client) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            content = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            rule = proxy._rule_for(self.command, path)
            status, headers, body = 0, {}, b""
            if rule is None or rule.forward or rule.transform is not None:
                answer = client.request(
                    self.command,
                    proxy.upstream + self.path,
                    content=content,
                    headers={k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP},
                )
                status, body = answer.status_code, answer.content
                headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            if rule is not None:
                if rule.after is not None:
                    rule.after()
                if rule.transform is not None:
                    body = rule.transform(body)
                else:
                    status, body = rule.status, rule.body
                    headers = {"Content-Type": rule.content_type, **rule.headers}
                proxy.hits.append(Hit(time.time(), self.command, path, status))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        do_GET = _handle
        do_POST = _handle
        do_PATCH = _handle
        do_DELETE = _handle
        do_PUT = _handle

    return Handler


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    """A proxy on 127.0.0.1 forwarding to `upstream` (the sandbox), for one test."""
    with httpx.Client(timeout=30.0) as client:
        proxy = FaultProxy(url="", upstream=upstream.rstrip("/"))
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy, client))
        server.daemon_threads = True
        proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, name="fault-proxy", daemon=True)
        thread.start()
        try:
            yield proxy
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)


def refuse_tokens_twice(sandbox: SandboxHandle, proxy: FaultProxy) -> float:
    """The reported bug's trouble: every token expires now, the refresh is slow, and the
    new token is expired again as soon as JustiFi has issued it. Returns when it began."""
    sandbox.fault("slow", "/oauth/token", method="POST", delay=0.5)
    proxy.add(
        Rewrite(
            "POST",
            "/oauth/token",
            forward=True,
            transform=lambda body: body,
            after=lambda: sandbox.control("POST", "tokens/expire"),
        )
    )
    began = time.time()
    sandbox.control("POST", "tokens/expire")
    return began
