"""One FHIR HTTP exchange with authentication, retries and JSON checks (R4 http.html).

The rules (design.md "Reliability rules"):

- Retried with backoff: connection errors, timeouts, a truncated or unreadable body, 408 and 502/503/504,
  *only* when the caller says the request is repeatable (GET/HEAD/DELETE, PUT with If-Match, POST with
  If-None-Exist, transactions whose every write is conditional). ``Retry-After`` is honoured up to a cap.
- Retried for every request: a connection that was never opened (nothing was sent) and 429 (RFC 6585: the
  server refused to process it). Neither repeats a write.
- A non-repeatable request whose answer was lost after sending raises :class:`OutcomeUnknown`, never a
  blind resend.
- Every :class:`EhrDown` says whether a send of the call may have reached the server (``maybe_sent``), so a
  caller never tells the user "nothing changed" after a write whose answer was lost.
- A 401 calls ``on_unauthorized(rejected_token)`` once per call and re-sends once.
- Logs carry method, resource type, status and attempt. Never a URL (queries hold identifiers), a body,
  a header or an exception's text (requests puts the URL in it); errors are raised ``from None`` for the
  same reason.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import NewConnectionError

from .counting import RoundTrip, RoundTripObserver
from .errors import BadResponse, EhrDown, OutcomeUnknown

log = logging.getLogger("hvol_fhir.ehr")

FHIR_JSON = "application/fhir+json"
MAX_BYTES = 32 * 1024 * 1024

Auth = str | Callable[[], str] | requests.auth.AuthBase | None
"""A static bearer token, a function returning the current one, or a ``requests`` auth object
(e.g. :class:`hvol_fhir.smart.backend.BackendServicesClient`); None for open endpoints only."""

UnauthorizedHook = Callable[[str | None], str | None]
"""Called with the rejected token after a 401; may return a new token (used when ``auth`` is a string)."""

Params = Mapping[str, str | int | Sequence[str]] | Sequence[tuple[str, str]]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # sends per call, the first included
    backoff: float = 0.5  # seconds before the second send, doubled each time
    max_backoff: float = 8.0
    max_retry_after: float = 30.0  # a longer Retry-After is cut to this
    statuses: frozenset[int] = frozenset({408, 429, 502, 503, 504})
    unprocessed: frozenset[int] = frozenset({429})  # the server said it did not act: retry any request

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed send number ``attempt``."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_retry_after))
        return min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=1)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, float(when.timestamp()) - now)


@dataclass(frozen=True)
class FhirResponse:
    status: int
    headers: Mapping[str, str]
    body: dict[str, Any] | None  # parsed JSON object; None for an empty body (or an unreadable error body)
    attempts: int = 1
    retried: bool = False  # True when an earlier send of this call may have reached the server

    @property
    def location(self) -> str | None:
        return self.headers.get("Location") or self.headers.get("Content-Location")

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")


@dataclass
class _Attempt:
    """State of one call across its sends."""

    method: str
    resource_type: str
    repeatable: bool
    number: int = 0
    retries_used: int = 0
    reauthorised: bool = False
    maybe_sent: bool = False
    last_status: int | None = None
    cause: str = field(default="")


class _Unreadable(Exception):
    """The body is not a FHIR JSON object."""


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the connection was never opened, so the server cannot have seen the request."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if type(exc) is requests.ConnectionError and exc.args:
        reason = getattr(exc.args[0], "reason", None)
        return isinstance(reason, NewConnectionError)
    return False


def _read(resp: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > MAX_BYTES:
            raise _Unreadable("too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(raw: bytes, content_type: str) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    if "json" not in content_type.lower():
        raise _Unreadable("not json")
    try:
        body = json.loads(raw)
    except ValueError:
        raise _Unreadable("invalid json") from None
    if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
        raise _Unreadable("not a resource")
    return body


class TransportOptions(TypedDict, total=False):
    """The keyword arguments of `Transport` after `auth`, for whoever builds one for a caller (FhirClient)."""

    session: requests.Session | None
    timeout: float | tuple[float, float]
    retry: RetryPolicy
    counter: RoundTripObserver | None
    on_unauthorized: UnauthorizedHook | None
    sleep: Callable[[float], None]
    clock: Callable[[], float]


class Transport:
    """Sends one logical request, possibly several times. Thread-safe if the session and auth are."""

    def __init__(
        self,
        auth: Auth,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy = DEFAULT_RETRY,
        counter: RoundTripObserver | None = None,
        on_unauthorized: UnauthorizedHook | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.auth = auth
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retry = retry
        self.counter = counter
        self.on_unauthorized = on_unauthorized
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:  # never show the token
        return f"Transport(auth={type(self.auth).__name__}, retry={self.retry!r})"

    def _authorise(self, headers: dict[str, str]) -> requests.auth.AuthBase | None:
        if isinstance(self.auth, requests.auth.AuthBase):
            return self.auth
        if isinstance(self.auth, str):
            headers["Authorization"] = f"Bearer {self.auth}"
        elif callable(self.auth):
            headers["Authorization"] = f"Bearer {self.auth()}"
        return None

    def send(
        self,
        method: str,
        url: str,
        *,
        resource_type: str,
        repeatable: bool,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FhirResponse:
        """The final answer (any status below the retry set, or a 4xx); raises :class:`EhrDown` and kin."""
        state = _Attempt(method, resource_type, repeatable)
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        while True:
            state.number += 1
            hdrs = {"Accept": FHIR_JSON, **(headers or {})}
            if data is not None:
                hdrs["Content-Type"] = f"{FHIR_JSON}; charset=utf-8"
            auth = self._authorise(hdrs)
            try:
                resp = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=hdrs,
                    auth=auth,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                )
            except requests.RequestException as exc:
                self._count(state, None)
                self._after_network_error(state, exc, sent=not _never_sent(exc))
                continue
            with resp:
                self._count(state, resp.status_code)
                result = self._handle(state, resp)
            if result is not None:
                return result

    def _handle(self, state: _Attempt, resp: requests.Response) -> FhirResponse | None:
        """The answer to return, or None to send again (after waiting when needed)."""
        status = resp.status_code
        state.last_status = status
        if status == 401 and self.on_unauthorized and not state.reauthorised:
            state.reauthorised = True  # a 401 means the request was not processed: resending is safe
            rejected = _bearer(resp.request.headers.get("Authorization") if resp.request else None)
            log.info("fhir %s %s -> 401, re-authorising once", state.method, state.resource_type or "-")
            fresh = self.on_unauthorized(rejected)
            if isinstance(fresh, str) and isinstance(self.auth, str):
                self.auth = fresh
            return None
        if status in self.retry.statuses:
            unprocessed = status in self.retry.unprocessed
            if (state.repeatable or unprocessed) and state.retries_used + 1 < self.retry.attempts:
                state.maybe_sent = state.maybe_sent or not unprocessed
                wait = self.retry.delay(
                    state.retries_used + 1,
                    parse_retry_after(resp.headers.get("Retry-After"), self._clock()),
                )
                self._wait(state, f"HTTP {status}", wait)
                return None
            if not state.repeatable and status in (502, 504):
                raise OutcomeUnknown(ehr_status=status, attempts=state.number) from None
            maybe_sent = state.maybe_sent or status not in self.retry.unprocessed
            raise EhrDown(ehr_status=status, attempts=state.number, maybe_sent=maybe_sent) from None
        try:
            raw = _read(resp)
            body = _parse(raw, resp.headers.get("Content-Type", "")) if raw else None
        except (requests.RequestException, _Unreadable) as exc:
            if status >= 400 and isinstance(exc, _Unreadable):
                body = None  # an HTML error page from a proxy: the status says enough
            else:
                self._after_bad_body(state, status, exc)
                return None
        log.debug("fhir %s %s -> %s", state.method, state.resource_type or "-", status)
        return FhirResponse(
            status=status,
            headers=CaseInsensitiveDict(resp.headers),
            body=body,
            attempts=state.number,
            retried=state.maybe_sent,
        )

    def _after_network_error(self, state: _Attempt, exc: requests.RequestException, *, sent: bool) -> None:
        state.cause = type(exc).__name__
        if (state.repeatable or not sent) and state.retries_used + 1 < self.retry.attempts:
            state.maybe_sent = state.maybe_sent or sent
            self._wait(state, state.cause, self.retry.delay(state.retries_used + 1))
            return
        log.warning("fhir %s %s: %s, giving up", state.method, state.resource_type or "-", state.cause)
        if sent and not state.repeatable:
            raise OutcomeUnknown(attempts=state.number) from None
        raise EhrDown(attempts=state.number, maybe_sent=state.maybe_sent or sent) from None

    def _after_bad_body(self, state: _Attempt, status: int, exc: Exception) -> None:
        state.cause = type(exc).__name__
        if state.repeatable and state.retries_used + 1 < self.retry.attempts:
            state.maybe_sent = True
            self._wait(state, f"HTTP {status} with unreadable body", self.retry.delay(state.retries_used + 1))
            return
        log.warning("fhir %s %s -> %s, unreadable body", state.method, state.resource_type or "-", status)
        if isinstance(exc, requests.RequestException) and not state.repeatable:
            raise OutcomeUnknown(ehr_status=status, attempts=state.number) from None
        raise BadResponse(ehr_status=status, attempts=state.number) from None

    def _wait(self, state: _Attempt, why: str, seconds: float) -> None:
        state.retries_used += 1
        log.warning(
            "fhir %s %s: %s, retry %d in %.1fs",
            state.method,
            state.resource_type or "-",
            why,
            state.retries_used,
            seconds,
        )
        if seconds > 0:
            self._sleep(seconds)

    def _count(self, state: _Attempt, status: int | None) -> None:
        if self.counter is not None:
            self.counter(RoundTrip(state.method, state.resource_type, status, state.number))


def _bearer(header: str | bytes | None) -> str | None:
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None
