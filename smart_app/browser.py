"""The browser-session cookie: an opaque random id and nothing else (R7; smart-launch.md §1.1).

``Secure; HttpOnly; SameSite=None; Partitioned`` so it survives inside an EHR iframe (CHIPS) where the
browser allows that; the attributes come from Flask's ``SESSION_COOKIE_*`` settings, the name is
``__Host-hvol_sid`` on https (``config.cookie_name``). Which launch a page belongs to is never read from the
cookie: it is in the URL path (``/l/<launch_id>/``), one per tab.

Issue 13, cause 6 (shared workstation): the app keeps a *browser record* per id it issued, keyed by a hash of
the id (the store never holds a usable cookie value): who the browser's user is, her launches, the CSRF secret
and the ids this browser had before the last rotation (only so that a launch started in another tab before
it can still finish). A cookie whose id has no record is ignored as if there were none (no fixation: an id
the app did not issue, or one it rotated away, is never accepted).
"""

from __future__ import annotations

import re

from flask import current_app, g, request
from werkzeug.wrappers import Response

from .sessions import BROWSER_TTL, browser_key
from .state import state

_SID = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _cookie_value() -> str | None:
    value = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"], "")
    return value if _SID.match(value) else None


def session_id() -> str | None:
    """The browser's session id when the app issued it and it is still alive; ``None`` otherwise."""
    if "hvol_sid" not in g:  # once per request: pages ask several times (launch, CSRF, error page)
        value = _cookie_value()
        known = value is not None and state().store.get_browser(browser_key(value)) is not None
        g.hvol_sid = value if known else None
    sid: str | None = g.hvol_sid
    return sid


def new_session_id() -> str:
    """Issue a new id and remember it server-side (only issued ids are ever accepted)."""
    return state().service.new_browser()


def remember(response: Response, sid: str) -> Response:
    cfg = current_app.config
    response.set_cookie(
        cfg["SESSION_COOKIE_NAME"],
        sid,
        max_age=int(BROWSER_TTL),
        path="/",
        secure=cfg["SESSION_COOKIE_SECURE"],
        httponly=cfg["SESSION_COOKIE_HTTPONLY"],
        samesite=cfg["SESSION_COOKIE_SAMESITE"],
        partitioned=cfg["SESSION_COOKIE_PARTITIONED"],
    )
    return response
