"""Serving the app.

- Demo / development: ``python -m smart_app.wsgi --port P`` (werkzeug, threaded, loopback only).
- Production: ``gunicorn -c python:smart_app.gunicorn_conf`` (``HVOL_BIND``, ``HVOL_WORKERS``; access log
  without query strings) behind TLS; with several workers or machines set ``HVOL_SESSION_STORE=redis://…``
  (the sqlite default works for the workers of one machine).
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from flask import Flask

from . import create_app

_app: Flask | None = None


def __getattr__(name: str) -> Any:
    # ``app`` is built on first access, so importing this module (gunicorn, the demo) has no side effects.
    global _app
    if name == "app":
        if _app is None:
            _app = create_app()
        return _app
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="hvol-fhir app (ontwikkelserver)")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    os.environ.setdefault("HVOL_APP_URL", f"http://127.0.0.1:{args.port}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from werkzeug.serving import WSGIRequestHandler, make_server

    class PathOnly(WSGIRequestHandler):
        """Access log without query strings: they carry launches, codes and states."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            self.log("info", '"%s %s" %s', self.command, self.path.split("?", 1)[0], code)

    server = make_server(args.host, args.port, create_app(), threaded=True, request_handler=PathOnly)
    logging.getLogger(__name__).info("hvol-fhir app on http://%s:%s", args.host, server.server_port)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
