"""A small fault-injecting HTTP proxy on 127.0.0.1 between the app and HAPI (issue 8, fault injection).

Requests pass through unchanged (``Host`` rewritten to the upstream, so HAPI's links and ``fullUrl``s are the
ones the app expects) until a fault is armed with :meth:`FaultProxy.inject`. A fault applies to the next
``times`` requests that match its method and path fragment:

- ``drop-before``: close the connection without forwarding (nothing reached the server);
- ``drop-after``: forward (the server commits), then close without an answer;
- ``delay``: forward, then hold the answer ``seconds`` (past the client's timeout);
- ``status``: answer ``status`` (500/502/503/409/412 …) with an OperationOutcome, without forwarding;
- ``429``: answer 429 with ``Retry-After: 1``, without forwarding;
- ``truncate``: forward, then send the headers and only half the body;
- ``rewrite``: forward with some request headers replaced (``headers``), e.g. an access token that has just
  expired, so the server itself answers what it answers for that.

Bounded: at most ``max_requests`` requests and ``lifetime`` seconds, then it stops by itself.
:func:`rerouted_session` gives a ``requests.Session`` that sends everything for the upstream to the proxy.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

KINDS = ("drop-before", "drop-after", "delay", "status", "429", "truncate", "rewrite")
# The faults every save path is put through (kind, options); "delay" outlasts a client timeout of 3 s.
STANDARD_FAULTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("drop-before", {}),
    ("drop-after", {}),  # the server committed, the answer was lost
    ("delay", {"seconds": 4.5}),
    ("status", {"status": 500}),
    ("status", {"status": 502}),
    ("status", {"status": 503, "times": 3}),
    ("429", {}),
    ("truncate", {}),
    ("status", {"status": 409}),
    ("status", {"status": 412}),
    ("drop-after", {"times": 3}),  # every send of the call committed or not, no answer ever came back
)
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


@dataclass
class Fault:
    kind: str
    method: str | None = None
    path: str | None = None  # a fragment of the path + query (the whole path without query when exact)
    exact: bool = False
    body: str | None = None  # a fragment the request body must hold, e.g. "ifNoneExist"
    times: int = 1
    status: int = 500
    seconds: float = 3.0
    headers: dict[str, str] | None = None  # for "rewrite"

    def matches(self, method: str, path: str, body: bytes = b"") -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.body is not None and self.body.encode() not in body:
            return False
        if self.exact:
            return path.split("?")[0] == self.path
        return self.path is None or self.path in path


@dataclass
class Injected:
    kind: str
    method: str
    path: str
    forwarded: bool  # True when the server saw the request


@dataclass
class FaultProxy:
    upstream: str  # e.g. http://127.0.0.1:8802
    max_requests: int = 20_000
    lifetime: float = 1800.0
    faults: list[Fault] = field(default_factory=list)
    injected: list[Injected] = field(default_factory=list)
    requests_seen: int = 0
    trail: list[tuple[str, str, int]] = field(default_factory=list)  # last requests: method, path, status
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _timer: threading.Timer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(
        self,
        kind: str,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        status: int = 500,
        seconds: float = 3.0,
        exact: bool = False,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        assert kind in KINDS, kind
        fault = Fault(kind, method, path, exact, body, times, status, seconds, headers)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def _take(self, method: str, path: str, body: bytes) -> Fault | None:
        with self.lock:
            self.requests_seen += 1
            if self.requests_seen > self.max_requests:
                threading.Thread(target=self.stop, daemon=True).start()
                return Fault("drop-before")
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path, body):
                    fault.times -= 1
                    return fault
        return None

    def start(self) -> FaultProxy:
        proxy = self
        target = urlsplit(self.upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: URLs hold ids
                pass

            def _forward(
                self, body: bytes, replace: dict[str, str] | None = None
            ) -> tuple[int, list[tuple[str, str]], bytes]:
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
                drop = HOP | {"host"} | {k.lower() for k in replace or {}}
                headers = {k: v for k, v in self.headers.items() if k.lower() not in drop}
                headers.update(replace or {})
                headers["Host"] = target.netloc
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                return resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP], data

            def _send(
                self, status: int, headers: list[tuple[str, str]], data: bytes, cut: bool = False
            ) -> None:
                self.send_response(status)
                for k, v in headers:
                    if k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data[: len(data) // 2] if cut else data)
                self.wfile.flush()
                self.close_connection = True

            def _drop(self) -> None:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._take(self.command, self.path, body)
                kind = fault.kind if fault else None
                if fault:
                    with proxy.lock:
                        proxy.injected.append(
                            Injected(
                                fault.kind,
                                self.command,
                                self.path.split("?")[0],
                                kind in ("drop-after", "delay", "truncate", "rewrite"),
                            )
                        )
                if kind == "drop-before":
                    return self._drop()
                if kind in ("status", "429"):
                    status = 429 if kind == "429" else fault.status  # type: ignore[union-attr]
                    outcome = {
                        "resourceType": "OperationOutcome",
                        "issue": [
                            {
                                "severity": "error",
                                "code": "transient" if status >= 500 or status == 429 else "conflict",
                                "diagnostics": f"faultproxy {status}",
                            }
                        ],
                    }
                    extra = [("Retry-After", "1")] if status == 429 else []
                    return self._send(
                        status,
                        [("Content-Type", "application/fhir+json"), *extra],
                        json.dumps(outcome).encode(),
                    )
                status, headers, data = self._forward(body, fault.headers if fault else None)
                with proxy.lock:
                    proxy.trail = [*proxy.trail[-49:], (self.command, self.path, status)]
                if kind == "drop-after":
                    return self._drop()
                if kind == "delay":
                    time.sleep(fault.seconds)  # type: ignore[union-attr]
                self._send(status, headers, data, cut=kind == "truncate")

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._handle()

            do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if self._timer:
            self._timer.cancel()
        if server:
            server.shutdown()
            server.server_close()
            self._server = server  # keep the port readable for late callers

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Reroute(HTTPAdapter):
    def __init__(self, source: str, proxy: FaultProxy) -> None:
        super().__init__()
        self.source, self.proxy = source, proxy

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        if url.startswith(self.source):
            request.url = self.proxy.url + url[len(self.source) :]
        response = super().send(request, *args, **kwargs)
        response.url = url  # the caller sees the URL it asked for
        return response


def rerouted_session(upstream: str, proxy: FaultProxy) -> requests.Session:
    """A session whose requests to ``upstream`` (scheme://host:port) go through the proxy."""
    session = requests.Session()
    session.mount(upstream.rstrip("/") + "/", _Reroute(upstream.rstrip("/"), proxy))
    return session
