"""P-AVAIL: the availability agreement refuses what cannot be an agreement, and its codes are mappings/'s."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme import availability as a
from hvol_fhir.programme.availability import AvailabilityAgreement, parse_hhmm
from hvol_fhir.programme.codes import ACTIVITY_OUTFLOW, ACTIVITY_PAUSE

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings" / "CodeSystem"


def agreement(**over: Any) -> AvailabilityAgreement:
    fields: dict[str, Any] = {
        "days": ("mon", "wed"),
        "start": time(17, 0),
        "end": time(20, 0),
        "channels": ("whatsapp",),
        "matters": ("crisis",),
    }
    fields.update(over)
    return AvailabilityAgreement(**fields)


def test_a_valid_agreement_is_kept_in_canonical_order() -> None:
    ag = agreement(days=("sun", "mon", "wed"), channels=("email", "phone"), matters=("crisis", "none"))
    assert ag.days == ("mon", "wed", "sun")
    assert ag.channels == ("phone", "email")
    assert ag.matters == ("none", "crisis")
    assert ag.minutes == 180 and ag.window == "17:00–20:00"
    assert ag.days_nl == "maandag, woensdag, zondag"


@pytest.mark.parametrize(
    ("over", "field", "code"),
    [
        ({"days": ()}, "days", "no-days"),
        ({"days": ("mon", "funday")}, "days", "unknown-day"),
        ({"channels": ()}, "channels", "no-channel"),
        ({"channels": ("pigeon",)}, "channels", "unknown-channel"),
        ({"matters": ()}, "matters", "no-matter"),
        ({"matters": ("gossip",)}, "matters", "unknown-matter"),
        ({"matters": ("any-question", "none")}, "matters", "contradictory-matters"),
        ({"start": time(20, 0), "end": time(17, 0)}, "end", "end-before-start"),
        ({"start": time(17, 0), "end": time(17, 0)}, "end", "end-before-start"),
        ({"start": time(17, 0, 30)}, "start", "not-a-time"),
        ({"end": "20:00"}, "end", "not-a-time"),
        ({"note": "x" * 501}, "note", "too-long"),
        ({"note": "bel\x00 me"}, "note", "control-characters"),
    ],
)
def test_what_cannot_be_an_agreement_is_refused(over: dict[str, Any], field: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        agreement(**over)
    assert caught.value.field == field and caught.value.code == code
    assert caught.value.message_nl  # a Dutch message for the form


def test_a_blank_note_is_no_note() -> None:
    assert agreement(note="   ").note is None
    assert agreement(note="  alleen na school ").note == "alleen na school"


@pytest.mark.parametrize("typed", ["7:00", "24:00", "12:60", "12.30", "", "twaalf"])
def test_badly_typed_times_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parse_hhmm(typed, "start")


def test_typed_times_are_read() -> None:
    assert parse_hhmm(" 09:05 ", "start") == time(9, 5)
    assert parse_hhmm("23:59", "end") == time(23, 59)


@pytest.mark.parametrize(
    ("system", "codes"),
    [
        (a.AVAILABILITY_CHANNEL, a.CHANNELS),
        (a.AVAILABILITY_MATTER, a.MATTERS),
        (a.CAREPLAN_ACTIVITY, (a.ACTIVITY_AVAILABILITY, ACTIVITY_PAUSE, ACTIVITY_OUTFLOW)),  # issue 14
    ],
)
def test_codes_match_mappings(system: str, codes: tuple[str, ...]) -> None:
    resource = json.loads((MAPPINGS / f"CodeSystem-{system}.json").read_text(encoding="utf-8"))
    assert resource["url"] == f"https://hvol-fhir.org/fhir/CodeSystem/{system}"
    assert {c["code"] for c in resource["concept"]} == set(codes)
    assert all(c["display"] and c["designation"][0]["language"] == "en" for c in resource["concept"])


def test_per_matter_agreements_each_keep_their_own_days_and_channels() -> None:
    crisis = agreement(days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"), channels=("phone",))
    questions = agreement(days=("mon", "thu"), matters=("any-question",), channels=("whatsapp",))
    both = a.check_per_matter((crisis, questions))
    assert [ag.matters for ag in both] == [("any-question",), ("crisis",)]  # questions first
    days, channels = a.reach(both)
    assert days == a.DAYS and channels == ("phone", "whatsapp")


@pytest.mark.parametrize(
    ("agreements", "code"),
    [
        ((), "no-matter"),
        ((agreement(), agreement(days=("fri",))), "matter-twice"),
        ((agreement(matters=("any-question",)), agreement(matters=("none",))), "contradictory-matters"),
    ],
)
def test_per_matter_refusals(agreements: tuple[AvailabilityAgreement, ...], code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        a.check_per_matter(agreements)
    assert info.value.code == code and info.value.message_nl
