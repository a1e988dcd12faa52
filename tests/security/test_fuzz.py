"""Fuzzing (issue 8.5, hypothesis, bounded): FHIR the app parses from an EHR (mutated valid resources: missing
elements, wrong types, unknown extensions, odd encodings, huge arrays) through ``hvol_fhir.mapping`` may only
raise the library's own errors (a clear message), never crash; and the app's contact form answers every input
with a page (no 500), writing nothing unless it says it saved."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hvol_fhir.errors import HvolError
from hvol_fhir.mapping import careplan, careteam, communication, consent, encounter, task
from tests.conftest_proof import PROOF

from .conftest import YOUTH, SecApp
from .support import past_slot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    p.stem: json.loads(p.read_text(encoding="utf-8"))
    for p in (ROOT / "mappings").rglob("*.json")
    if '"resourceType"' in p.read_text(encoding="utf-8")[:400]
}
PARSERS = {
    "Communication": communication.from_fhir,
    "CarePlan": careplan.from_fhir,
    "CareTeam": careteam.from_fhir,
    "Consent": consent.from_fhir,
    "Task": task.from_fhir,
    "Encounter": lambda r: encounter.from_fhir(r, traject="CarePlan/x"),
}
SEEDS = [r for r in EXAMPLES.values() if r.get("resourceType") in PARSERS]
ODD = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.text(max_size=30),
    st.just("\udcff\u202e\x00"),
    st.just([]),
    st.just({}),
    st.just({"url": "urn:onbekend", "valueString": "x"}),
    st.lists(st.text(max_size=3), max_size=2000),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    resource = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(resource) if p and p[0] != "resourceType"]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = resource
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()):
            if isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent.pop(path[-1])
        else:
            parent[path[-1]] = copy.deepcopy(draw(ODD))  # st.just shares one object: never nest it in itself
    if draw(st.booleans()):
        resource.setdefault("extension", []).append(
            {"url": "https://elders.example/onbekend", "valueInteger": 7}
        )
    return resource


@pytest.mark.proof
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_mapping_from_fhir_never_crashes(resource: dict[str, Any]) -> None:
    PROOF.add("fuzz_examples")
    try:
        PARSERS[resource["resourceType"]](resource)
    except HvolError as exc:
        assert exc.message_nl if hasattr(exc, "message_nl") else str(exc)
    except Exception as exc:  # noqa: BLE001 - anything else is a crash the app would turn into a 500
        PROOF.found("server_errors", f"{resource['resourceType']}.from_fhir: {type(exc).__name__}")
        raise


def test_fuzz_seeds_exist() -> None:
    assert {r["resourceType"] for r in SEEDS} >= {"Communication", "CarePlan", "Encounter"}


@pytest.mark.integration
@pytest.mark.proof
@pytest.mark.slow
def test_contact_form_answers_every_input_without_a_server_error(sec_app: SecApp, ident: str) -> None:
    buddy = sec_app.as_user("hv-buddy-1")
    path = f"/t/{ident}/contact"
    headers = {"Authorization": f"Bearer {sec_app.org.admin_token()}", "Accept": "application/fhir+json"}

    def entries() -> int:
        url = f"{sec_app.org.fhir_base}/Communication?subject=Patient/{YOUTH}&_elements=id&_count=1000"
        return len(requests.get(url, headers=headers, timeout=120).json().get("entry", []))

    field = st.one_of(
        st.text(max_size=40), st.sampled_from(["", "2026-13-45", "25:99", "-1", "\x00", "é" * 50])
    )

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(date=field, start=field, end=field, type_=field, text=st.text(max_size=300), location=field)
    def run(date: str, start: str, end: str, type_: str, text: str, location: str) -> None:
        PROOF.add("fuzz_examples")
        before = entries()
        form = {
            "contact_uuid": buddy.hidden(path, "contact_uuid"),
            "entry_uuid": buddy.hidden(path, "entry_uuid"),
            "date": date,
            "start": start,
            "end": end,
            "type": type_,
            "text": text,
            "location": location,
        }
        resp = buddy.post(path, form)
        if resp.status_code >= 500:
            PROOF.found("server_errors", f"contact form -> {resp.status_code}")
        assert resp.status_code in (303, 400, 422), resp.status_code
        if resp.status_code != 303:
            assert entries() == before  # nothing written

    run()
    valid = {**past_slot(), "type": "phone", "text": "Geldig verslag.", "location": ""}
    assert (
        buddy.post(
            path,
            {
                "contact_uuid": buddy.hidden(path, "contact_uuid"),
                "entry_uuid": buddy.hidden(path, "entry_uuid"),
                **valid,
            },
        ).status_code
        == 303
    )
