"""Small HTTP helpers shared by discovery, JWKS fetching and token requests.

Project rules (smart-launch.md §1.4): short timeouts, a size limit, no redirects to another host, and
https for anything that carries codes or tokens (R1), with plain http only for a loopback host in sandbox
mode. Nothing here logs a body or a header: token endpoints answer with tokens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from .errors import InsecureTransport

TIMEOUT: tuple[float, float] = (3.05, 10.0)
MAX_BYTES = 1_000_000
MAX_REDIRECTS = 3
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def check_transport(url: str, *, allow_loopback_http: bool) -> None:
    """Refuse any URL that is not https (or http to a loopback host when ``allow_loopback_http``)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and allow_loopback_http and (parts.hostname or "") in _LOOPBACK:
        return
    raise InsecureTransport(f"refused non-https URL with scheme {parts.scheme!r} and host {parts.hostname!r}")


def same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


@dataclass(frozen=True)
class JsonResponse:
    status: int
    url: str
    body: Any  # parsed JSON, or None when the body was not JSON
    content_type: str


class FetchError(Exception):
    """Network failure, oversized body or a refused redirect; the caller maps it to its own error."""


def get_json(
    http: requests.Session, url: str, *, allow_loopback_http: bool, max_bytes: int = MAX_BYTES
) -> JsonResponse:
    """GET ``url`` with ``Accept: application/json`` (R227), following same-origin redirects only."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        with _send(http, "GET", current, allow_loopback_http=allow_loopback_http) as resp:
            if resp.is_redirect:
                target = urljoin(current, resp.headers.get("Location", ""))
                if not same_origin(current, target):
                    raise FetchError(f"GET {current}: redirect to another host refused")
                current = target
                continue
            return _answer(resp, current, max_bytes)
    raise FetchError(f"GET {url}: too many redirects")


def post_form(
    http: requests.Session,
    url: str,
    data: dict[str, str],
    headers: dict[str, str],
    *,
    allow_loopback_http: bool,
) -> JsonResponse:
    """POST a form (R62) without following redirects; the body may hold tokens and is never logged."""
    sent = _send(http, "POST", url, allow_loopback_http=allow_loopback_http, data=data, headers=headers)
    with sent as resp:
        return _answer(resp, url, MAX_BYTES)


def _send(
    http: requests.Session,
    method: str,
    url: str,
    *,
    allow_loopback_http: bool,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """One request to an https (or sandbox loopback) URL, redirects not followed, the body read later."""
    check_transport(url, allow_loopback_http=allow_loopback_http)
    try:
        return http.request(
            method,
            url,
            data=data,
            headers={"Accept": "application/json", **(headers or {})},
            timeout=TIMEOUT,
            allow_redirects=False,
            stream=True,
        )
    except requests.RequestException as exc:
        raise FetchError(f"{method} {url} failed: {type(exc).__name__}") from exc


def _answer(resp: requests.Response, url: str, max_bytes: int) -> JsonResponse:
    raw = _read_limited(resp, max_bytes)
    return JsonResponse(resp.status_code, url, _parse_json(raw), resp.headers.get("Content-Type", ""))


def _read_limited(resp: requests.Response, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"response from {resp.url} larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
