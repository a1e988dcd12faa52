"""Launch context from the token response, and ``fhirUser`` (scopes-and-launch-context.html).

Context arrives with the access token, possibly unsolicited: ``patient``, ``encounter``, ``fhirContext``,
``need_patient_banner``, ``smart_style_url``, ``intent``, ``tenant`` and extension members (full URI or ``__``
prefix). It is read once and never updated in place: a relaunch is a new context (§1.11).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from .errors import IdTokenInvalid

FHIR_USER_TYPES = frozenset({"Patient", "Practitioner", "PractitionerRole", "RelatedPerson", "Person"})
_TOKEN_MEMBERS = frozenset(
    {
        "access_token",
        "token_type",
        "expires_in",
        "scope",
        "refresh_token",
        "id_token",
        "state",
        "authorization_details",
    }
)
_CONTEXT_MEMBERS = frozenset(
    {"patient", "encounter", "fhirContext", "need_patient_banner", "smart_style_url", "intent", "tenant"}
)


@dataclass(frozen=True)
class FhirContextItem:
    """One ``fhirContext`` entry; a missing ``role`` means ``"launch"`` (R191)."""

    reference: str | None = None
    canonical: str | None = None
    identifier: Mapping[str, Any] | None = None
    type: str | None = None
    role: str = "launch"


@dataclass(frozen=True)
class LaunchContext:
    patient: str | None = None
    encounter: str | None = None
    fhir_context: tuple[FhirContextItem, ...] = ()
    need_patient_banner: bool = True  # show the banner unless the EHR says it already does
    smart_style_url: str | None = None
    intent: str | None = None  # unknown or absent -> default UI (R193)
    tenant: str | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "encounter": self.encounter,
            "fhirContext": [_item_dict(i) for i in self.fhir_context],
            "need_patient_banner": self.need_patient_banner,
            "smart_style_url": self.smart_style_url,
            "intent": self.intent,
            "tenant": self.tenant,
            **dict(self.extensions),
        }


def _item_dict(item: FhirContextItem) -> dict[str, Any]:
    out: dict[str, Any] = {"role": item.role}
    for key in ("reference", "canonical", "identifier", "type"):
        value = getattr(item, key)
        if value is not None:
            out[key] = value
    return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _fhir_context(value: Any) -> tuple[FhirContextItem, ...]:
    items: list[FhirContextItem] = []
    for entry in value if isinstance(value, list) else []:
        if not isinstance(entry, dict):
            continue
        ident = entry.get("identifier")
        item = FhirContextItem(
            reference=_str(entry.get("reference")),
            canonical=_str(entry.get("canonical")),
            identifier=ident if isinstance(ident, dict) else None,
            type=_str(entry.get("type")),
            role=_str(entry.get("role")) or "launch",
        )
        if item.reference or item.canonical or item.identifier:
            items.append(item)
    return tuple(items)


def parse_context(token_response: Mapping[str, Any]) -> LaunchContext:
    """Read the context members of a token response; everything else non-standard is kept as an extension."""
    banner = token_response.get("need_patient_banner")
    extensions = {
        k: v
        for k, v in token_response.items()
        if k not in _TOKEN_MEMBERS and k not in _CONTEXT_MEMBERS and (k.startswith("__") or "://" in k)
    }
    return LaunchContext(
        patient=_str(token_response.get("patient")),
        encounter=_str(token_response.get("encounter")),
        fhir_context=_fhir_context(token_response.get("fhirContext")),
        need_patient_banner=banner if isinstance(banner, bool) else True,
        smart_style_url=_str(token_response.get("smart_style_url")),
        intent=_str(token_response.get("intent")),
        tenant=_str(token_response.get("tenant")),
        extensions=extensions,
    )


def context_from_dict(data: Mapping[str, Any]) -> LaunchContext:
    return parse_context(data)


@dataclass(frozen=True)
class FhirUser:
    """The signed-in user as a FHIR resource; ``same_server``: may the token be sent to ``url`` (R97)."""

    resource_type: str
    id: str
    url: str
    same_server: bool

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.id}"


def resolve_fhir_user(claim: Any, fhir_base: str) -> FhirUser:
    """Accept ``Practitioner/123`` and ``https://ehr/fhir/Practitioner/123`` alike (R202, client-js #105)."""
    if not isinstance(claim, str) or not claim:
        raise IdTokenInvalid("fhirUser claim missing or not a string")
    base = fhir_base.rstrip("/") + "/"
    url = urljoin(base, claim)
    same_server = url.startswith(base) and urlsplit(url).netloc == urlsplit(base).netloc
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]  # a versioned reference names the same user
    if len(parts) < 2 or parts[-2] not in FHIR_USER_TYPES or not parts[-1]:
        raise IdTokenInvalid(f"fhirUser is not a reference to a user resource: {claim[:120]!r}")
    return FhirUser(parts[-2], parts[-1], url, same_server)
