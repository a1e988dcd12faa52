"""A tiny JWKS endpoint for tests, until the sandbox authorization server serves ``GET {auth}/jwks``.

It answers ``/jwks`` (and ``/.well-known/jwks.json``) with whatever the provider returns, so HAPI can verify
tokens minted by :class:`sandbox.tokens.TokenIssuer`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JwksProvider = Callable[[], dict[str, Any]]


class JwksStub:
    """Serves a JWKS on 127.0.0.1 from a daemon thread; ``url`` is the JWKS URL, ``base_url`` the issuer."""

    def __init__(self, provider: JwksProvider, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = _handler(provider)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="jwks-stub", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.base_url + "/jwks"

    def start(self) -> JwksStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(provider: JwksProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.split("?")[0] not in ("/jwks", "/.well-known/jwks.json"):
                self.send_error(404)
                return
            body = json.dumps(provider()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
            pass

    return Handler
