"""A traject as read at A, built from the demo scenario without any server (pure), plus a disclosure grant."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from functools import cache

import pytest

from hvol_fhir.fhirjson import dump
from hvol_fhir.mapping import consent
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import ConsentGrant
from hvol_fhir.transfer import Snapshot, TransferRequest
from sandbox.demo_data import resources
from sandbox.demo_scenario import build

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SOURCE = "http://a.example/fhir"
CAREPLAN = "CarePlan/hv-traject-06"
CONSENTED = ("Communication/hv-journal-06-001", "Communication/hv-journal-06-002")


def _related(res: dict) -> bool:
    rid = str(res.get("id"))
    return res["resourceType"] == "Practitioner" or "-06-" in rid or rid.endswith(("-06", "-06a"))


def disclosure(
    status: str = "active", end: datetime | None = None, entries: tuple[str, ...] = CONSENTED
) -> dict:
    grant = ConsentGrant(
        id="hv-disclosure-06",
        identifier="5b0e3d8e-1111-4c1e-9f00-000000000006",
        kind=c.CONSENT_DISCLOSURE,
        patient="Patient/hv-youth-06",
        granted_by="Patient/hv-youth-06",
        recorded=datetime(2026, 11, 1, tzinfo=UTC),
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=end,
        entries=entries,
        recipient="Organization/hv-org-b",
        status=status,
        purpose="Mijn nieuwe begeleiders mogen dit lezen.",
    )
    return dump(consent.to_fhir(grant))


@cache
def _demo() -> tuple[dict, ...]:
    return tuple(r for r in resources(build(TODAY)) if _related(r))


def snapshot(*extra: dict, drop: tuple[str, ...] = ()) -> Snapshot:
    found = {f"{r['resourceType']}/{r['id']}": copy.deepcopy(r) for r in _demo()}
    for res in extra:
        found[f"{res['resourceType']}/{res['id']}"] = res
    for key in drop:
        found.pop(key, None)
    for res in found.values():
        res.setdefault("meta", {})["versionId"] = "1"
    return Snapshot(source_base=SOURCE, source_name="De Horizon", careplan=CAREPLAN, resources=found)


def request(**kw: object) -> TransferRequest:
    base: dict[str, object] = dict(
        careplan=CAREPLAN,
        target="http://b.example/fhir",
        target_name="Het Anker",
        coordinator="Practitioner/hv-coordinator",
        reason="Verhuisd",
    )
    base.update(kw)
    return TransferRequest(**base)  # type: ignore[arg-type]


@pytest.fixture
def snap() -> Snapshot:
    return snapshot(disclosure())
