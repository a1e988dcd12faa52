"""P-AVAIL on the CarePlan: the agreement round-trips, and writing it keeps everything it does not map."""

from __future__ import annotations

import copy
import json
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from hvol_fhir.errors import HvolError, UnknownCode
from hvol_fhir.fhirjson import dump
from hvol_fhir.mapping import availability as m
from hvol_fhir.mapping import careplan
from hvol_fhir.programme.availability import AvailabilityAgreement

EXAMPLE = Path(__file__).resolve().parents[3] / "mappings" / "examples" / "CarePlan-hvol-ex-traject.json"
FOREIGN_EXT = {"url": "https://ehr.example.org/ext/colour", "valueString": "blauw"}
FOREIGN_ACTIVITY = {
    "detail": {
        "code": {"coding": [{"system": "https://ehr.example.org/act", "code": "x"}]},
        "status": "scheduled",
    }
}
AGREEMENT = AvailabilityAgreement(
    days=("tue", "thu"),
    start=time(16, 30),
    end=time(19, 0),
    channels=("phone", "whatsapp"),
    matters=("any-question", "crisis"),
    note="Niet tijdens mijn werk",
    buddy="Practitioner/hvol-ex-buddy",
)


def plan() -> dict[str, Any]:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["extension"] = [FOREIGN_EXT]
    data["activity"] = [*data.get("activity", []), FOREIGN_ACTIVITY]
    return data


def test_round_trip_and_nothing_else_changes() -> None:
    before = plan()
    after = dump(m.update_fhir(before, AGREEMENT))
    assert m.from_careplan(after) == AGREEMENT
    assert after["extension"] == [FOREIGN_EXT]
    assert after["activity"][: len(before["activity"])] == before["activity"]  # phases + foreign, in place
    assert len(after["activity"]) == len(before["activity"]) + 1
    assert careplan.from_fhir(after) == careplan.from_fhir(before)  # the traject reads the same
    repeat = after["activity"][-1]["detail"]["scheduledTiming"]["repeat"]
    assert repeat == {
        "dayOfWeek": ["tue", "thu"],
        "timeOfDay": ["16:30:00"],
        "duration": 150,
        "durationUnit": "min",
    }


def test_replacing_keeps_foreign_extensions_and_codings_on_the_activity() -> None:
    first = dump(m.update_fhir(plan(), AGREEMENT))
    ours = first["activity"][-1]
    ours["extension"] = [FOREIGN_EXT]
    ours["detail"]["extension"].append(FOREIGN_EXT)
    ours["detail"]["code"]["coding"].append({"system": "https://ehr.example.org/act", "code": "avail"})
    changed = AvailabilityAgreement(
        days=("sat",), start=time(10), end=time(12), channels=("email",), matters=("none",)
    )
    second = dump(m.update_fhir(first, changed))
    assert len(second["activity"]) == len(first["activity"])  # replaced, not added
    new = second["activity"][-1]
    assert new["extension"] == [FOREIGN_EXT]
    assert FOREIGN_EXT in new["detail"]["extension"]
    assert {"system": "https://ehr.example.org/act", "code": "avail"} in new["detail"]["code"]["coding"]
    assert "description" not in new["detail"] and "performer" not in new["detail"]
    assert m.from_careplan(second) == changed


def test_a_phase_update_keeps_the_agreement() -> None:
    with_agreement = dump(m.update_fhir(plan(), AGREEMENT))
    traject = careplan.from_fhir(with_agreement)
    again = dump(careplan.update_fhir(with_agreement, traject))
    assert m.from_careplan(again) == AGREEMENT


def test_no_agreement_and_an_ended_one_read_as_none() -> None:
    assert m.from_careplan(plan()) is None
    ended = dump(m.update_fhir(plan(), AGREEMENT))
    ended["activity"][-1]["detail"]["status"] = "stopped"
    assert m.from_careplan(ended) is None


def test_duration_in_hours_from_another_system_is_read() -> None:
    data = dump(m.update_fhir(plan(), AGREEMENT))
    data["activity"][-1]["detail"]["scheduledTiming"]["repeat"].update(duration=2.5, durationUnit="h")
    found = m.from_careplan(data)
    assert found is not None and found.end == time(19, 0)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["extension"][0]["valueCoding"].update(code="fax"),
        lambda d: d["scheduledTiming"]["repeat"].pop("timeOfDay"),
        lambda d: d["scheduledTiming"]["repeat"].update(timeOfDay=["25:00:00"]),
        lambda d: d["scheduledTiming"]["repeat"].update(durationUnit="wk"),
        lambda d: d["scheduledTiming"]["repeat"].update(duration=9999),
        lambda d: d.update(extension=[e for e in d["extension"] if "channel" not in e["url"]]),
    ],
)
def test_damaged_agreements_are_named_errors(damage: Any) -> None:
    data = dump(m.update_fhir(plan(), AGREEMENT))
    broken = copy.deepcopy(data)
    damage(broken["activity"][-1]["detail"])
    with pytest.raises(HvolError) as caught:
        m.from_careplan(broken)
    assert caught.value.field


def test_unknown_channel_code_names_the_path() -> None:
    data = dump(m.update_fhir(plan(), AGREEMENT))
    data["activity"][-1]["detail"]["extension"][0]["valueCoding"]["code"] = "fax"
    with pytest.raises(UnknownCode) as caught:
        m.from_careplan(data)
    assert (
        caught.value.field
        == f"CarePlan.activity[{len(data['activity']) - 1}].detail.extension[0].valueCoding"
    )


def test_one_activity_per_matter_reused_in_place_and_a_dropped_matter_removed() -> None:
    from dataclasses import replace

    crisis = replace(AGREEMENT, matters=("crisis",), days=("mon", "tue", "wed"), channels=("phone",))
    questions = replace(AGREEMENT, matters=("any-question",), note=None)
    first = dump(m.update_fhir(plan(), AGREEMENT))
    first["activity"][-1]["extension"] = [FOREIGN_EXT]  # another system's extension on our activity
    two = dump(m.update_fhir_all(first, (questions, crisis)))
    assert m.all_from_careplan(two) == (questions, crisis)
    ours = [x for x in two["activity"] if m.is_availability(x)]
    assert len(ours) == 2 and ours[0]["extension"] == [FOREIGN_EXT]  # the stored one reused in place
    back_to_one = dump(m.update_fhir_all(two, (crisis,)))
    assert m.all_from_careplan(back_to_one) == (crisis,)
    assert careplan.from_fhir(back_to_one) == careplan.from_fhir(plan())  # the traject reads the same
