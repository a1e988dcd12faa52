"""OperationOutcome -> plain Dutch words (https://hl7.org/fhir/R4/operationoutcome.html).

A server's ``diagnostics`` and ``details.text`` are free text: validators quote the offending value, HAPI
quotes match URLs with identifiers in them. None of that reaches a message. What is kept is structured and
safe: severity, the issue-type code (http://hl7.org/fhir/issue-type), element paths that look like paths,
and a server message id such as ``HAPI-0989`` (useful in a log and a support call, says nothing of content).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_PATH = re.compile(r"^[A-Z][A-Za-z0-9]*(\.[a-zA-Z][A-Za-z0-9]*(\[\d+\])?)*$")
_COMMENT = re.compile(r"/\*.*?\*/")
_SERVER_CODES = re.compile(r"^(?:HAPI-\d{3,5}:?\s*)+")
_HAPI_CODE = re.compile(r"HAPI-\d{3,5}")
_MESSAGE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
_MAX_PATHS = 5

# Issue-type codes grouped by what the user can do about them.
_INVALID = frozenset(
    {"invalid", "structure", "required", "value", "invariant", "extension", "too-long", "code-invalid"}
)
_SECURITY = frozenset({"security", "login", "unknown", "expired", "forbidden", "suppressed"})
_CONFLICT = frozenset({"conflict", "duplicate", "multiple-matches"})
_MISSING = frozenset({"not-found", "deleted"})
_TRANSIENT = frozenset({"transient", "lock-error", "no-store", "exception", "timeout", "throttled"})

_CODE_NL: Mapping[str, str] = {
    "invalid": "ongeldige gegevens",
    "structure": "onjuiste opbouw",
    "required": "verplicht gegeven ontbreekt",
    "value": "ongeldige waarde",
    "invariant": "gegevens spreken elkaar tegen",
    "extension": "onbekende uitbreiding",
    "too-long": "te lang",
    "code-invalid": "onbekende code",
    "business-rule": "regel van het dossier",
    "conflict": "tegelijk gewijzigd",
    "duplicate": "bestaat al",
    "multiple-matches": "meerdere treffers",
    "not-found": "niet gevonden",
    "deleted": "verwijderd",
    "security": "geen toegang",
    "forbidden": "geen toegang",
    "login": "opnieuw aanmelden nodig",
    "expired": "sessie verlopen",
    "processing": "kon niet worden verwerkt",
    "not-supported": "niet ondersteund",
    "too-costly": "te veel resultaten",
    "throttled": "te druk",
    "timeout": "geen tijdig antwoord",
}

_SEVERITY_NL: Mapping[str, str] = {"fatal": "fout", "error": "fout", "warning": "waarschuwing"}


@dataclass(frozen=True)
class Issue:
    """One issue, reduced to its safe, structured parts."""

    severity: str
    code: str
    paths: tuple[str, ...] = ()
    server_codes: tuple[str, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity in ("fatal", "error")

    def detail_nl(self) -> str:
        """E.g. ``fout: verplicht gegeven ontbreekt (Encounter.period)``."""
        what = _CODE_NL.get(self.code, "probleem")
        where = f" ({', '.join(self.paths)})" if self.paths else ""
        return f"{_SEVERITY_NL.get(self.severity, 'melding')}: {what}{where}"


@dataclass(frozen=True)
class Outcome:
    """A parsed OperationOutcome: its issues and a plain Dutch message for the user."""

    issues: tuple[Issue, ...]

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.is_error)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(i.code for i in self.errors or self.issues)

    @property
    def server_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for i in self.issues for c in i.server_codes))

    def details_nl(self) -> tuple[str, ...]:
        """One line per error issue (all issues if none is an error), without duplicates."""
        return tuple(dict.fromkeys(i.detail_nl() for i in self.errors or self.issues))

    def message_nl(self, status: int | None = None) -> str:
        return plain_message(self, status)


def _paths(issue: Mapping[str, Any]) -> tuple[str, ...]:
    raw = [*(issue.get("expression") or ()), *(issue.get("location") or ())]
    found: list[str] = []
    for value in raw:
        if not isinstance(value, str):
            continue
        path = _COMMENT.sub("", value).replace("/", "").strip()
        # Keep only plain element paths; anything with quotes, spaces or functions may carry a value.
        if len(path) <= 200 and _PATH.match(path) and path not in found:
            found.append(path)
    return tuple(found[:_MAX_PATHS])


def _server_codes(issue: Mapping[str, Any]) -> tuple[str, ...]:
    """Message ids only: the leading ``HAPI-nnnn:`` run of ``diagnostics``, and ``details.coding`` codes."""
    codes: list[str] = []
    diagnostics = issue.get("diagnostics")
    lead = _SERVER_CODES.match(diagnostics) if isinstance(diagnostics, str) else None
    if lead:
        codes.extend(_HAPI_CODE.findall(lead.group(0)))
    details = issue.get("details")
    for coding in (details.get("coding") or ()) if isinstance(details, Mapping) else ():
        code = coding.get("code") if isinstance(coding, Mapping) else None
        if isinstance(code, str) and _MESSAGE_ID.match(code):
            codes.append(code)
    return tuple(dict.fromkeys(codes))[:_MAX_PATHS]


def parse_outcome(body: Any) -> Outcome | None:
    """The OperationOutcome in ``body``, or None when ``body`` is not one."""
    if not isinstance(body, Mapping) or body.get("resourceType") != "OperationOutcome":
        return None
    issues: list[Issue] = []
    for raw in body.get("issue") or ():
        if not isinstance(raw, Mapping):
            continue
        issues.append(
            Issue(
                severity=str(raw.get("severity") or "error")[:16],
                code=str(raw.get("code") or "unknown")[:32],
                paths=_paths(raw),
                server_codes=_server_codes(raw),
            )
        )
    return Outcome(tuple(issues))


_BY_STATUS: Mapping[int, str] = {
    400: "Het dossier begreep het verzoek niet.",
    401: "Uw sessie met het dossier is verlopen. Start de app opnieuw vanuit het dossier.",
    403: "U heeft geen toegang tot deze gegevens in het dossier.",
    404: "Deze gegevens zijn niet (meer) gevonden in het dossier.",
    410: "Deze gegevens zijn uit het dossier verwijderd.",
    409: "Iemand anders heeft deze gegevens intussen gewijzigd.",
    412: "Iemand anders heeft deze gegevens intussen gewijzigd.",
    422: "Het dossier heeft de gegevens niet geaccepteerd.",
}


def plain_message(outcome: Outcome | None, status: int | None = None) -> str:
    """A Dutch sentence saying what went wrong, from the issue codes first and the HTTP status second."""
    codes = outcome.codes if outcome else frozenset()
    fields = ""
    if outcome:
        paths = tuple(dict.fromkeys(p for i in outcome.errors for p in i.paths))
        if paths:
            fields = f" Het gaat om: {', '.join(paths[:_MAX_PATHS])}."
    if codes & _INVALID:
        return "Het dossier heeft de gegevens niet geaccepteerd: ze voldoen niet aan de eisen." + fields
    if "business-rule" in codes:
        return "Het dossier weigert deze wijziging vanwege een eigen regel." + fields
    if "multiple-matches" in codes:
        return "Het dossier vond meerdere bestaande gegevens waar er één werd verwacht."
    if codes & _CONFLICT:
        return "Iemand anders heeft deze gegevens intussen gewijzigd."
    if codes & _MISSING:
        return "Deze gegevens zijn niet (meer) gevonden in het dossier."
    if codes & _SECURITY:
        return "U heeft geen toegang tot deze gegevens in het dossier."
    if codes & _TRANSIENT:
        return "Het dossier kon het verzoek nu niet verwerken. Probeer het zo opnieuw."
    if status is not None and status in _BY_STATUS:
        return _BY_STATUS[status] + fields
    return "Het dossier heeft het verzoek geweigerd." + fields
