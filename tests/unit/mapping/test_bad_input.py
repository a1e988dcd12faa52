"""Bad input: typed errors naming the field, in Dutch, never a pydantic traceback, never a silent drop."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from hvol_fhir.errors import HvolError, InvalidInput, MissingElement, UnknownCode
from hvol_fhir.mapping import careplan, communication, consent, encounter, task
from hvol_fhir.mapping.labels import MissingSecurityLabels
from hvol_fhir.programme.model import ConsentGrant, JournalEntry, PhasePeriod, Traject

DATA = Path(__file__).resolve().parents[2] / "data" / "mapping"
EXAMPLES = Path(__file__).resolve().parents[3] / "mappings" / "examples"
TZ = timezone(timedelta(hours=1))


def data(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def edit(resource: dict[str, Any], path: str, value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    out = copy.deepcopy(resource)
    node: Any = out
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for k in keys[:-1]:
        node = node[k]
    if delete:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return out


def raises(kind: type[HvolError], field: str, fn: Any, *args: Any, **kwargs: Any) -> HvolError:
    with pytest.raises(kind) as err:
        fn(*args, **kwargs)
    exc = err.value
    assert exc.field == field, exc.field
    assert exc.message_nl and "Traceback" not in str(exc)
    # No pydantic error hanging off it for a log or a web page to print.
    assert exc.__cause__ is None and not isinstance(exc.__context__, ValidationError)
    return exc


CP = "careplan-foreign.json"


@pytest.mark.parametrize(
    ("mutate", "kind", "field"),
    [
        (lambda r: edit(r, "subject", delete=True), MissingElement, "CarePlan.subject"),
        (lambda r: edit(r, "identifier", [r["identifier"][0]]), MissingElement, "CarePlan.identifier"),
        (lambda r: edit(r, "created", delete=True), MissingElement, "CarePlan.created"),
        (lambda r: edit(r, "created", "2026-01-05"), InvalidInput, "CarePlan.created"),
        (
            lambda r: edit(r, "activity.1.detail.code.coding.0.code", "intake"),
            UnknownCode,
            "CarePlan.activity[1].detail.code.coding[0].code",
        ),
        (
            lambda r: edit(r, "activity.1.detail.scheduledPeriod", delete=True),
            MissingElement,
            "CarePlan.activity[1].detail.scheduledPeriod.start",
        ),
        (
            lambda r: edit(r, "category.2.coding.0.code", "heel-erg"),
            UnknownCode,
            "CarePlan.category[2].coding[0].code",
        ),
        (lambda r: edit(r, "status", "bezig"), InvalidInput, "Traject.status"),
        (lambda r: edit(r, "subject", "Patient/p-1"), InvalidInput, "CarePlan.subject"),
        (lambda r: edit(r, "period.start", "gisteren"), InvalidInput, "CarePlan.period.start"),
    ],
    ids=[
        "no-subject",
        "no-traject-id",
        "no-created",
        "date-only",
        "unknown-phase",
        "no-phase-start",
        "unknown-category",
        "bad-status",
        "subject-not-reference",
        "garbage-date",
    ],
)
def test_careplan_bad_input(mutate: Any, kind: type[HvolError], field: str) -> None:
    raises(kind, field, careplan.from_fhir, mutate(data(CP)))


@pytest.mark.parametrize(
    ("payload", "field"),
    [("{not json", "CarePlan"), ("[]", "CarePlan"), (json.dumps({"resourceType": "Encounter"}), "CarePlan")],
)
def test_not_a_careplan(payload: str, field: str) -> None:
    raises(InvalidInput, field, careplan.from_fhir, payload)


def test_phase_order_error_comes_from_the_domain() -> None:
    bad = edit(data(CP), "activity.2.detail.scheduledPeriod.start", "2025-01-01T00:00:00+01:00")
    err = raises(InvalidInput, "Traject.phases", careplan.from_fhir, bad)
    assert err.code == "phases-out-of-order"


def _traject(**kw: Any) -> Traject:
    base = dict(
        identifier="u-1",
        patient="Patient/p",
        created=datetime(2026, 1, 1, tzinfo=TZ),
        phases=(PhasePeriod(phase="inclusion", start=datetime(2026, 1, 1, tzinfo=TZ)),),
    )
    return Traject(**{**base, **kw})


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"intro_outcome": "stop"}, "Traject.intro_outcome"),
        ({"closure_reason": "abrupt-faded"}, "Traject.closure_reason"),
    ],
)
def test_outcome_without_its_phase_is_refused_not_dropped(kw: dict[str, str], field: str) -> None:
    raises(InvalidInput, field, careplan.to_fhir, _traject(**kw))


ENC = "encounter-foreign.json"


@pytest.mark.parametrize(
    ("mutate", "kind", "field", "code"),
    [
        (
            lambda r: edit(r, "period.end", "2026-03-02T14:00:00+01:00"),
            InvalidInput,
            "Contact.end",
            "end-before-start",
        ),
        (
            lambda r: edit(r, "period.end", "2026-03-03T03:00:00+01:00"),
            InvalidInput,
            "Contact.end",
            "too-long",
        ),
        (
            lambda r: edit(r, "period.end", delete=True),
            MissingElement,
            "Encounter.period.end",
            "missing-element",
        ),
        (
            lambda r: edit(r, "participant", [r["participant"][1]]),
            MissingElement,
            "Encounter.participant",
            "missing-element",
        ),
        (
            lambda r: edit(r, "type.0.coding.0.code", "carrier-pigeon"),
            UnknownCode,
            "Encounter.type[0].coding[0].code",
            "unknown-code",
        ),
        (lambda r: edit(r, "type", [r["type"][1]]), MissingElement, "Encounter.type", "missing-element"),
        (
            lambda r: edit(r, "period.start", "2026-03-02T15:00:00"),
            InvalidInput,
            "Encounter.period.start",
            "invalid-fhir",
        ),  # FHIR itself requires a zone once there is a time
        (
            lambda r: edit(r, "period.start", "2026-03-02"),
            InvalidInput,
            "Encounter.period.start",
            "imprecise-datetime",
        ),
    ],
    ids=[
        "end-before-start",
        "longer-than-a-working-day",
        "no-end",
        "no-buddy",
        "unknown-type",
        "no-type",
        "no-zone",
        "date-only",
    ],
)
def test_encounter_bad_input(mutate: Any, kind: type[HvolError], field: str, code: str) -> None:
    err = raises(kind, field, encounter.from_fhir, mutate(data(ENC)), traject="CarePlan/cp-1")
    assert err.code == code


COM = "communication-foreign.json"


@pytest.mark.parametrize("code", ["V", "SDV", "CTCOMPT", "buddy-programme", "NORDSCLCDS", "PERSISTLABEL"])
def test_journal_without_full_label_set_is_refused(code: str) -> None:
    res = data(COM)
    res["meta"]["security"] = [c for c in res["meta"]["security"] if c["code"] != code]
    raises(MissingSecurityLabels, "Communication.meta.security", communication.from_fhir, res)


def test_journal_with_two_confidentiality_codes_is_refused() -> None:
    res = data(COM)
    res["meta"]["security"].append(
        {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}
    )
    raises(MissingSecurityLabels, "Communication.meta.security", communication.from_fhir, res)


def test_journal_without_meta_is_refused() -> None:
    raises(
        MissingSecurityLabels,
        "Communication.meta.security",
        communication.from_fhir,
        edit(data(COM), "meta", delete=True),
    )


def test_update_never_writes_a_journal_entry_without_labels() -> None:
    res = data(COM)
    res["meta"]["security"] = []
    entry = communication.from_fhir(data(COM))
    out = communication.update_fhir(res, entry)
    from hvol_fhir.mapping.labels import has_full_label_set

    assert has_full_label_set(out.meta)


@pytest.mark.parametrize(
    ("mutate", "kind", "field"),
    [
        (
            lambda r: edit(
                r, "payload", [{"contentAttachment": {"contentType": "application/jose", "data": "ZXg="}}]
            ),
            MissingElement,
            "Communication.payload[0].contentString",
        ),
        (lambda r: edit(r, "payload", delete=True), MissingElement, "Communication.payload"),
        (
            lambda r: edit(r, "payload", [{"contentString": "a"}, {"contentString": "b"}]),
            InvalidInput,
            "Communication.payload",
        ),
        (lambda r: edit(r, "basedOn", delete=True), MissingElement, "Communication.basedOn"),
        (
            lambda r: edit(r, "sender", {"display": "iemand"}),
            MissingElement,
            "Communication.sender.reference",
        ),
        (
            lambda r: edit(r, "category.0.coding.0.code", "diary"),
            UnknownCode,
            "Communication.category[0].coding[0].code",
        ),
    ],
    ids=["sealed", "no-payload", "two-payloads", "no-basedOn", "sender-without-reference", "unknown-kind"],
)
def test_communication_bad_input(mutate: Any, kind: type[HvolError], field: str) -> None:
    raises(kind, field, communication.from_fhir, mutate(data(COM)))


def test_control_characters_in_journal_text_are_refused_before_writing() -> None:
    entry = JournalEntry(
        identifier="u",
        traject="CarePlan/1",
        patient="Patient/1",
        author="Practitioner/1",
        kind="buddy-journal",
        written_at=datetime(2026, 1, 1, tzinfo=TZ),
        text="a\x00b",
    )
    err = raises(InvalidInput, "JournalEntry.text", communication.to_fhir, entry)
    assert err.code == "control-characters" and "a\x00b" not in str(err)


def test_consent_bad_input() -> None:
    res = example("Consent-hvol-ex-disclosure.json")
    raises(MissingElement, "Consent.category", consent.from_fhir, edit(res, "category", delete=True))
    raises(
        MissingElement,
        "Consent.provision.provision",
        consent.from_fhir,
        edit(res, "provision.provision.0.type", "deny"),
    )
    raises(
        MissingElement,
        "Consent.provision.provision[0].actor",
        consent.from_fhir,
        edit(res, "provision.provision.0.actor", delete=True),
    )
    grant = consent.from_fhir(res)
    raises(UnknownCode, "ConsentGrant.purpose_of_use", consent.to_fhir, grant, purpose_of_use="HMARKT")
    no_team = dataclasses.replace(
        consent.from_fhir(example("Consent-hvol-ex-participation.json")), recipient=None
    )
    raises(MissingElement, "ConsentGrant.recipient", consent.to_fhir, no_team)


def test_consent_domain_rules_surface_with_their_field() -> None:
    res = edit(example("Consent-hvol-ex-disclosure.json"), "provision.provision.0.data", delete=True)
    raises(InvalidInput, "ConsentGrant.entries", consent.from_fhir, res)


def test_task_bad_input() -> None:
    res = example("Task-hvol-ex-waitinglist.json")
    raises(UnknownCode, "Task.code.coding[0].code", task.from_fhir, edit(res, "code.coding.0.code", "koffie"))
    raises(MissingElement, "Task.code", task.from_fhir, edit(res, "code", {"text": "wachtlijst"}))
    raises(
        InvalidInput,
        "Task.restriction.period.end",
        task.from_fhir,
        edit(res, "restriction.period.end", "morgen"),
    )


def test_domain_construction_rejects_unknown_codes_before_mapping() -> None:
    with pytest.raises(UnknownCode):
        ConsentGrant(
            identifier="u",
            kind="blanket",
            patient="Patient/1",
            granted_by="Patient/1",
            recorded=datetime(2026, 1, 1, tzinfo=TZ),
        )
