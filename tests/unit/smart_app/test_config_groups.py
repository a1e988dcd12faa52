"""HVOL_GROUPS (issue 14): the provider's groups come from the environment or the config file and reach the
presentations page, so a group without any presentation warns."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hvol_fhir.programme.rules import outreach as rules
from hvol_fhir.smart import ConfigurationError
from smart_app import create_app
from smart_app.config import DEFAULTS, from_environment, groups, normalise
from smart_app.outreach import _groups

BASE_ENV = {
    "HVOL_ISSUERS": "https://ehr.example.org/fhir",
    "HVOL_APP_URL": "https://app.example.org",
    "HVOL_SESSION_STORE": "memory",
    "HVOL_FRAME_ANCESTORS": "https://ehr.example.org",
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("De Linde, De Wilg", ["De Linde", "De Wilg"]),
        ("De Linde;De Wilg;", ["De Linde", "De Wilg"]),
        ('["Groep 3, boven", "De  Wilg"]', ["Groep 3, boven", "De Wilg"]),
        ("De Linde,De Linde, ", ["De Linde"]),
        ("", []),
        (["De Eik"], ["De Eik"]),
    ],
)
def test_group_names_are_read_in_every_form(raw: object, expected: list[str]) -> None:
    assert groups(raw) == expected


@pytest.mark.parametrize("raw", ['["De Linde"', "[1, 2]", 3, {"naam": "De Linde"}])
def test_anything_but_names_is_refused_at_start(raw: object) -> None:
    with pytest.raises(ConfigurationError, match="HVOL_GROUPS"):
        groups(raw)


def test_environment_variable_reaches_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {**BASE_ENV, "HVOL_KEY_FILE": str(tmp_path / "k.json")}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HVOL_GROUPS", "De Linde, De Wilg")
    monkeypatch.delenv("HVOL_CONFIG", raising=False)
    app = create_app()
    assert app.config["HVOL_GROUPS"] == ["De Linde", "De Wilg"]
    with app.app_context():
        names = _groups()
    assert names == ["De Linde", "De Wilg"]
    # No presentation at all yet: each configured group warns by name (P-PRESENT-3M).
    alerts = rules.outreach_alerts([], datetime(2026, 3, 2, 9, tzinfo=UTC), names)
    assert {s for a in alerts for s in a.subjects} >= {"De Linde", "De Wilg"}


def test_config_file_list_and_environment_override(tmp_path: Path) -> None:
    cfg = tmp_path / "hvol.json"
    cfg.write_text(json.dumps({"HVOL_GROUPS": ["De Eik", "De Beuk"]}))
    from_file = normalise({**DEFAULTS, **from_environment({"HVOL_CONFIG": str(cfg)})})
    assert from_file["HVOL_GROUPS"] == ["De Eik", "De Beuk"]
    both = normalise({**DEFAULTS, **from_environment({"HVOL_CONFIG": str(cfg), "HVOL_GROUPS": "De Wilg"})})
    assert both["HVOL_GROUPS"] == ["De Wilg"]
    assert normalise(DEFAULTS)["HVOL_GROUPS"] == []
