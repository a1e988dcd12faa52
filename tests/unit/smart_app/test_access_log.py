"""Access logs carry no authorization code, state, launch value or other query string
(smart_app/access_log.py, smart_app/gunicorn_conf.py): the werkzeug server of the demo and tests, and
gunicorn's access log."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from smart_app import create_app, gunicorn_conf
from smart_app.access_log import strip_queries
from smart_app.sessions import MemoryAppStore

from .conftest import APP_URL, app_key

CODE, STATE, LAUNCH = "CODE-e3b0c44298fc1c14", "STATE-9afbf4c8996fb924", "LAUNCH-27ae41e4649b934c"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            f'"\x1b[32mGET /launch/callback?code={CODE}&state={STATE} HTTP/1.1\x1b[0m" 303 -',
            '"\x1b[32mGET /launch/callback HTTP/1.1\x1b[0m" 303 -',
        ),
        (
            f'"GET /launch?iss=http://127.0.0.1:8802/fhir&launch={LAUNCH} HTTP/1.1" 302 -',
            '"GET /launch HTTP/1.1" 302 -',
        ),
        ('"GET /l/x/overzicht?zoek=Jan de Vries HTTP/1.1" 200 -', '"GET /l/x/overzicht HTTP/1.1" 200 -'),
        (
            "code 400, message Bad request syntax ('GET /?code=1 HTTP/1.1')",
            "code 400, message Bad request syntax ('GET / HTTP/1.1')",
        ),  # fmt: skip
        ('"GET /static/app.css HTTP/1.1" 200 -', '"GET /static/app.css HTTP/1.1" 200 -'),
    ],
)
def test_strip_queries(line: str, expected: str) -> None:
    assert strip_queries(line) == expected


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "HVOL_APP_URL": APP_URL,
            "HVOL_ISSUERS": "https://ehr.example/fhir",
            "HVOL_SANDBOX": True,
            "HVOL_SIGNING_KEY": app_key(),
            "HVOL_STORE": MemoryAppStore(),
            "HVOL_KEY_FILE": str(tmp_path_factory.mktemp("key") / "k.json"),
        }
    )


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)  # werkzeug's own request handler and log
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_werkzeug_logs_a_callback_without_code_or_state(
    served: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")
    for path in (
        f"/launch/callback?code={CODE}&state={STATE}",
        f"/launch?iss=https://ehr.example/fhir&launch={LAUNCH}",
        f"/launch/callback?error=access_denied&state={STATE}",
    ):
        requests.get(served + path, allow_redirects=False, timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert sum("GET /launch/callback HTTP/1.1" in line for line in lines) == 2
    assert any("GET /launch HTTP/1.1" in line for line in lines)
    for secret in (CODE, STATE, LAUNCH, "code=", "state=", "ehr.example"):
        assert secret not in caplog.text
        assert all(secret not in line for line in lines)


def test_the_filter_is_installed_once(app: Flask) -> None:
    create_app(dict(app.config))
    filters = [f for f in logging.getLogger("werkzeug").filters if type(f).__name__ == "StripQuery"]
    assert len(filters) == 1


def test_gunicorn_access_log_names_the_path_only(tmp_path: Path) -> None:
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("access_log_format", gunicorn_conf.access_log_format)
    cfg.set("accesslog", str(log_file))
    logger = Logger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/launch/callback?code={CODE}&state={STATE}",
        "PATH_INFO": "/launch/callback",
        "QUERY_STRING": f"code={CODE}&state={STATE}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://ehr.example/authorize?state={STATE}",
    }
    response = SimpleNamespace(status="303 See Other", sent=0, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = log_file.read_text(encoding="utf-8")
    assert '"GET /launch/callback HTTP/1.1" 303' in line
    assert CODE not in line and STATE not in line and "?" not in line
