"""P-WRITING hints: pure, never raising on content, one hint per kind."""

from __future__ import annotations

import pytest

from hvol_fhir.programme.writing import hints


def kinds(text: str, **kw: bool) -> set[str]:
    return {h.kind for h in hints(text, **kw)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ze was ivm school later.", "abbreviation"),
        ("Ze komt vaak te laat.", "vague"),
        ("Ze was erg verdrietig.", "label"),
    ],
)
def test_each_tip_of_the_guide(text: str, expected: str) -> None:
    assert expected in kinds(text, has_time=True, has_place=True)


def test_a_good_entry_gets_no_hints() -> None:
    text = "Om 15:00 zaten we op het bankje bij de ingang van het park. Ik vroeg hoe school ging; ze lachte."
    assert hints(text) == []


def test_missing_time_and_place_only_when_the_form_lacks_them() -> None:
    assert {"time", "place"} <= kinds("We praatten.")
    assert not {"time", "place"} & kinds("We praatten.", has_time=True, has_place=True)


def test_empty_or_odd_input_gives_nothing() -> None:
    assert hints("") == [] and hints("   ") == [] and hints(None) == []  # type: ignore[arg-type]


def test_words_are_named_for_the_author() -> None:
    found = {h.kind: h.words for h in hints("Soms en ivm", has_time=True, has_place=True)}
    assert found["abbreviation"] == ("ivm",) and found["vague"] == ("soms",)


GUIDE_EXAMPLE = (
    "Ik heb gevraagd hoe het met haar gaat. Ze vertelt dat ze vorige week 1x ruzie heeft gehad met "
    "haar ouders "
    "over zakgeld. Ook vertelt ze dat ze voor rekenen een 8 heeft gehaald."
)


def test_the_guides_own_example_gets_no_hint() -> None:
    """§4.9's example entry: videobellen, 15:00-15:20. No 'Noem de plaats', no 'Noem de tijd'."""
    assert hints(GUIDE_EXAMPLE, has_time=True, contact_type="video") == []


@pytest.mark.parametrize("kind", ["video", "phone", "messaging", "email"])
def test_no_place_hint_for_a_call_or_a_chat(kind: str) -> None:
    assert "place" not in kinds("We praatten.", contact_type=kind)


def test_a_meeting_in_person_still_asks_for_the_place() -> None:
    assert "place" in kinds("We praatten.", has_time=True, contact_type="face-to-face")
    assert "place" not in kinds("We praatten.", has_place=True, contact_type="face-to-face")


def test_no_time_hint_once_the_times_are_filled_in() -> None:
    assert "time" in kinds("We praatten.", contact_type="video")
    assert "time" not in kinds("We praatten.", has_time=True, contact_type="video")
