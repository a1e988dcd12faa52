"""The browser-session cookie: an opaque random id and nothing else (R7; smart-launch.md §1.1).

``Secure; HttpOnly; SameSite=None; Partitioned`` so it survives inside an EHR iframe (CHIPS) where the
browser allows that; the attributes come from Flask's ``SESSION_COOKIE_*`` settings. Which launch a page
belongs to is never read from the cookie: it is in the URL path (``/l/<launch_id>/``), one per tab.
"""

from __future__ import annotations

import re
import secrets

from flask import current_app, request
from werkzeug.wrappers import Response

_SID = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def session_id() -> str | None:
    """The browser's session id, or ``None`` when the cookie did not come back (or was tampered with)."""
    value = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"], "")
    return value if _SID.match(value) else None


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def remember(response: Response, sid: str) -> Response:
    cfg = current_app.config
    response.set_cookie(
        cfg["SESSION_COOKIE_NAME"],
        sid,
        max_age=12 * 3600,
        path="/",
        secure=cfg["SESSION_COOKIE_SECURE"],
        httponly=cfg["SESSION_COOKIE_HTTPONLY"],
        samesite=cfg["SESSION_COOKIE_SAMESITE"],
        partitioned=cfg["SESSION_COOKIE_PARTITIONED"],
    )
    return response
