"""Search result paging (https://hl7.org/fhir/R4/http.html#paging, R4 search.html#count): pure helpers.

A ``next`` link is followed only when it lies under the client's own FHIR base (same scheme, host, port
and path prefix). The client sends its bearer token with it, so a link elsewhere would hand the token,
and whatever the link's query holds, to a stranger.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from .errors import UntrustedLink

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def is_under_base(url: str, base_url: str) -> bool:
    """True when ``url`` is ``base_url`` itself or below it (query ignored)."""
    if _origin(url) != _origin(base_url) or not urlsplit(url).hostname:
        return False
    base_path = urlsplit(base_url).path.rstrip("/")
    path = urlsplit(url).path
    return path == base_path or path.startswith(base_path + "/") or (not base_path and path == "")


def resolve_link(link: str, base_url: str) -> str:
    """``link`` as an absolute URL under ``base_url``; :class:`UntrustedLink` otherwise."""
    absolute = urljoin(base_url.rstrip("/") + "/", link)
    if not is_under_base(absolute, base_url):
        raise UntrustedLink()
    return absolute


def link(bundle: Mapping[str, Any], relation: str) -> str | None:
    for item in bundle.get("link") or ():
        if isinstance(item, Mapping) and item.get("relation") == relation:
            url = item.get("url")
            if isinstance(url, str):
                return url
    return None


def next_link(bundle: Mapping[str, Any]) -> str | None:
    return link(bundle, "next")


def matches(bundle: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The resources a search matched, skipping ``include`` entries and OperationOutcome warnings."""
    for entry in bundle.get("entry") or ():
        if not isinstance(entry, Mapping):
            continue
        mode = (entry.get("search") or {}).get("mode")
        resource = entry.get("resource")
        if mode in (None, "match") and isinstance(resource, dict):
            if mode is None and resource.get("resourceType") == "OperationOutcome":
                continue
            yield resource


def included(bundle: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The resources a search added through ``_include``/``_revinclude``."""
    for entry in bundle.get("entry") or ():
        if isinstance(entry, Mapping) and (entry.get("search") or {}).get("mode") == "include":
            resource = entry.get("resource")
            if isinstance(resource, dict):
                yield resource
