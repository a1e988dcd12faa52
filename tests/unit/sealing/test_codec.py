"""Sealing at the client's edge (issue 12): what leaves the app holds no confidential plaintext, what
comes back opens for the roles that may read it, and every way of tampering with it fails cleanly."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hvol_fhir.sealing import codec as cd
from hvol_fhir.sealing import envelope, fields, keys

EXAMPLES = Path(__file__).resolve().parents[3] / "mappings" / "examples"
ALL = frozenset(fields.KINDS)
# The confidential strings and codes of the examples, one per sealed element.
SECRETS = {
    "Communication-hvol-ex-journal": ["twee keer te laat"],
    "Observation-hvol-ex-inclusion": ["suspected"],
    "CarePlan-hvol-ex-traject": ["suspected"],
    "Consent-hvol-ex-disclosure": ["Mijn moeder", "RelatedPerson/hvol-ex-mother"],
}


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def encounter_with_place() -> dict[str, Any]:
    enc = example("Encounter-hvol-ex-contact")
    enc["location"] = [{"location": {"display": "Bankje bij de Lindenvijver"}}]
    enc["participant"].append(
        {
            "type": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                            "code": "PART",
                        }
                    ]
                }
            ],
            "individual": {"reference": "RelatedPerson/zus-fictief"},
        }
    )
    return enc


def careplan_with_note() -> dict[str, Any]:
    plan = example("CarePlan-hvol-ex-traject")
    plan["note"] = [{"text": "Niet bellen na negen uur (fictief)."}]
    return plan


@pytest.fixture(scope="module")
def ring() -> keys.KeyRing:
    return keys.generate("test")


def sealed_examples() -> list[tuple[str, dict[str, Any], list[str]]]:
    out = [(name, example(name), secrets) for name, secrets in SECRETS.items()]
    out.append(("Encounter+place", encounter_with_place(), ["Lindenvijver", "zus-fictief"]))
    out.append(("CarePlan+note", careplan_with_note(), ["suspected", "negen uur"]))
    return out


@pytest.mark.parametrize(
    ("name", "resource", "secrets"), sealed_examples(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_sealed_resource_holds_no_plaintext_and_opens_to_the_original(
    ring: keys.KeyRing, name: str, resource: dict[str, Any], secrets: list[str]
) -> None:
    for s in secrets:
        assert s in json.dumps(resource)  # the example really holds it
    sealed = cd.SealingCodec(ring, ALL).encode(resource)
    wire = json.dumps(sealed)
    for s in secrets:
        assert s not in wire, f"{name}: {s!r} left in the clear"
    if resource["resourceType"] in cd.HIGH_VOLUME:
        assert "text" not in sealed  # no narrative to parse on each of hundreds (bench: sealing)
    else:
        assert sealed["text"]["div"] == cd.NARRATIVE
    opened = cd.SealingCodec(ring, ALL).decode(sealed)
    assert cd.status_of(opened) == cd.SEALED
    back = copy.deepcopy(opened)
    back["meta"].pop("extension")
    if not back["meta"]:
        back.pop("meta")
    expected = {k: v for k, v in resource.items() if k != "text"}
    assert _norm(back) == _norm(expected)


def _norm(r: dict[str, Any]) -> Any:
    """Order-free comparison of lists (joining appends the sealed parts back)."""
    if isinstance(r, dict):
        return {k: _norm(v) for k, v in r.items() if k != "text"}
    if isinstance(r, list):
        return sorted((_norm(x) for x in r), key=lambda x: json.dumps(x, sort_keys=True))
    return r


def test_a_role_that_may_not_open_gets_the_resource_withheld(ring: keys.KeyRing) -> None:
    sealed = cd.SealingCodec(ring, ALL).encode(example("Communication-hvol-ex-journal"))
    seen = cd.SealingCodec(ring, frozenset({fields.KIND_CONTACT})).decode(sealed)
    assert cd.status_of(seen) == cd.WITHHELD
    assert "twee keer" not in json.dumps(seen)


def test_buddy_opens_availability_notes_but_not_the_victim_category(ring: keys.KeyRing) -> None:
    plan = careplan_with_note()
    plan["activity"].append(
        {
            "detail": {
                "code": {
                    "coding": [
                        {
                            "system": "https://hvol-fhir.org/fhir/CodeSystem/careplan-activity",
                            "code": "availability",
                        }
                    ]
                },
                "status": "in-progress",
                "description": "Liever appen dan bellen (fictief).",
            }
        }
    )
    sealed = cd.SealingCodec(ring, ALL).encode(plan)
    assert "appen dan bellen" not in json.dumps(sealed)
    buddy = cd.SealingCodec(ring, frozenset({fields.KIND_AVAILABILITY})).decode(sealed)
    text = json.dumps(buddy)
    assert "appen dan bellen" in text and "suspected" not in text and "negen uur" not in text
    assert cd.status_of(buddy) == cd.WITHHELD
    # She changes her availability note: the traject's envelope she could not open is kept as it was.
    buddy["activity"][-1]["detail"]["description"] = "Alleen appen (fictief)."
    resent = cd.SealingCodec(ring, frozenset({fields.KIND_AVAILABILITY})).encode(buddy)
    coordinator = cd.SealingCodec(ring, ALL).decode(resent)
    text = json.dumps(coordinator)
    assert "Alleen appen" in text and "suspected" in text and "negen uur" in text
    assert cd.status_of(coordinator) == cd.SEALED


def test_plaintext_added_over_an_unopened_envelope_is_refused(ring: keys.KeyRing) -> None:
    sealed = cd.SealingCodec(ring, ALL).encode(example("Communication-hvol-ex-journal"))
    withheld = cd.SealingCodec(ring, frozenset()).decode(sealed)
    withheld["payload"].append({"contentString": "overschreven"})
    with pytest.raises(Exception) as info:
        cd.SealingCodec(ring, frozenset()).encode(withheld)
    assert getattr(info.value, "code", "") == "sealed-not-opened"


def test_without_keys_nothing_is_written_in_plaintext() -> None:
    codec = cd.SealingCodec(None, ALL)
    with pytest.raises(keys.KeysUnavailable):
        codec.encode(example("Communication-hvol-ex-journal"))


def test_an_entry_not_written_by_the_app_reads_as_plain(ring: keys.KeyRing) -> None:
    seen = cd.SealingCodec(ring, ALL).decode(example("Communication-hvol-ex-journal"))
    assert cd.status_of(seen) == cd.PLAIN


def _set_token(resource: dict[str, Any], token: str) -> dict[str, Any]:
    out = copy.deepcopy(resource)
    out["payload"][0]["contentAttachment"]["data"] = base64.b64encode(token.encode()).decode()
    return out


def _token(resource: dict[str, Any]) -> str:
    return base64.b64decode(resource["payload"][0]["contentAttachment"]["data"]).decode()


def _flip(token: str, part: int) -> str:
    parts = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(parts[part] + "=" * (-len(parts[part]) % 4)))
    raw[len(raw) // 2] ^= 1
    parts[part] = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    return ".".join(parts)


def tamperings(ring: keys.KeyRing) -> list[tuple[str, dict[str, Any], str]]:
    """(what, tampered resource, expected reason code): every way to break an entry that a user with write
    access to the EHR has."""
    sealed = cd.SealingCodec(ring, ALL).encode(example("Communication-hvol-ex-journal"))
    token = _token(sealed)
    other_youth = copy.deepcopy(sealed)
    other_youth["subject"] = {"reference": "Patient/another-youth"}
    other_entry = copy.deepcopy(sealed)
    other_entry["identifier"][0]["value"] = "00000000-0000-4000-8000-000000000000"
    other_author = copy.deepcopy(sealed)
    other_author["sender"] = {"reference": "Practitioner/hv-staff-1"}
    other_time = copy.deepcopy(sealed)
    other_time["sent"] = "2026-03-03T11:00:00+01:00"
    other_ring = keys.generate("other")
    foreign = cd.SealingCodec(other_ring, ALL).encode(example("Communication-hvol-ex-journal"))
    return [
        ("ciphertext flipped", _set_token(sealed, _flip(token, 3)), "seal-tampered"),
        ("tag flipped", _set_token(sealed, _flip(token, 4)), "seal-tampered"),
        ("iv flipped", _set_token(sealed, _flip(token, 2)), "seal-tampered"),
        ("header changed", _set_token(sealed, _flip(token, 0)), "seal-"),
        ("not base64", _set_token(sealed, "%%%"), "seal-malformed"),
        ("not a JWE", _set_token(sealed, "a.b.c"), "seal-malformed"),
        ("unknown key id", foreign, "seal-unknown-key"),
        ("copied to another youth", other_youth, "seal-other-youth"),
        ("copied to another entry", other_entry, "seal-other-entry"),
        ("author changed in the clear", other_author, "seal-author"),
        ("time changed in the clear", other_time, "seal-author"),
    ]


def test_every_tampering_reads_as_broken_with_its_reason(ring: keys.KeyRing) -> None:
    for what, resource, code in tamperings(ring):
        codec = cd.SealingCodec(ring, ALL)
        seen = codec.decode(resource)
        status = cd.status_of(seen) or ""
        assert status.startswith(cd.BROKEN + ":" + code[:5]), f"{what}: {status}"
        assert status.startswith(f"{cd.BROKEN}:{code}") or code == "seal-", f"{what}: {status}"
        assert codec.broken, what
        # nothing is lost: the envelope is still there for a later repair
        assert seen["payload"] == resource["payload"], what


def test_envelope_header_holds_no_content(ring: keys.KeyRing) -> None:
    sealed = cd.SealingCodec(ring, ALL).encode(careplan_with_note())
    for token in cd.envelopes(sealed).values():
        header = json.dumps(envelope.peek_header(token))
        assert "suspected" not in header and "negen" not in header
        assert envelope.peek_kid(token) == ring.current("seal").kid


def test_old_data_opens_after_rotation(ring: keys.KeyRing) -> None:
    sealed = cd.SealingCodec(ring, ALL).encode(example("Communication-hvol-ex-journal"))
    newer = keys.rotate(ring)
    assert cd.status_of(cd.SealingCodec(newer, ALL).decode(sealed)) == cd.SEALED
    fresh = cd.SealingCodec(newer, ALL).encode(example("Communication-hvol-ex-journal"))
    assert envelope.peek_kid(_token(fresh)) == newer.current("seal").kid != ring.current("seal").kid


def test_a_coordinator_saving_a_padded_team_does_not_sign_the_padding(ring: keys.KeyRing) -> None:
    team = example("CareTeam-hvol-ex-careteam")
    signed = cd.SealingCodec(ring, ALL, signer="Practitioner/hvol-ex-coordinator").encode(team)
    padded = copy.deepcopy(signed)
    padded["participant"].append(
        {
            "role": [
                {
                    "coding": [
                        {"system": "https://hvol-fhir.org/fhir/CodeSystem/careteam-role", "code": "buddy"}
                    ]
                }
            ],
            "member": {"reference": "Practitioner/intruder"},
        }
    )
    coordinator = cd.SealingCodec(ring, ALL, signer="Practitioner/hvol-ex-coordinator")
    resaved = coordinator.encode(coordinator.decode(padded))
    assert "Practitioner/intruder" not in json.dumps(resaved)
    assert len(resaved["participant"]) == len(team["participant"])


def test_the_fast_open_path_agrees_with_joserfc(ring: keys.KeyRing) -> None:
    """The journal page opens `dir` + `A256GCM` on AES-GCM directly; joserfc must read the same envelopes
    and refuse the same tamperings."""
    from joserfc import jwe

    sealed = cd.SealingCodec(ring, ALL).encode(example("Communication-hvol-ex-journal"))
    token = _token(sealed)
    key = ring.current("seal")
    registry = envelope._REGISTRY
    assert json.loads(jwe.decrypt_compact(token, key, registry=registry).plaintext) == envelope.open_json(
        ring, token, cd.binding_for(cd.without_envelopes(sealed), "journal")
    )
    for what, resource, _code in tamperings(ring):
        bad = _token(resource) if "contentAttachment" in json.dumps(resource.get("payload")) else ""
        if not bad or bad.count(".") != 4:
            continue
        joserfc_refuses = True
        try:
            jwe.decrypt_compact(bad, key, registry=registry)
            joserfc_refuses = False
        except Exception:  # noqa: BLE001 - any refusal counts
            pass
        ours_refuses = cd.status_of(cd.SealingCodec(ring, ALL).decode(resource)).startswith(cd.BROKEN)
        if what.startswith(("ciphertext", "tag", "iv", "header", "unknown")):
            assert joserfc_refuses and ours_refuses, what


@pytest.mark.parametrize("meta", ["\udcff\u202e\x00", 7, [], {"extension": "x"}, {"extension": [1, "a"]}])
def test_a_malformed_meta_reads_as_no_status(meta: object) -> None:
    """Found by the fuzz suite: the status read must not crash on what a server or a forger sends."""
    resource = {**example("Communication-hvol-ex-journal"), "meta": meta}
    assert cd.status_of(resource) is None
    assert cd.take_status(resource)[0] is None


@pytest.mark.parametrize("meta", ["\udcff\u202e\x00", 7, [], {"extension": "x"}])
def test_decoding_a_resource_with_a_malformed_meta_does_not_crash(ring: keys.KeyRing, meta: object) -> None:
    resource = {**example("Communication-hvol-ex-journal"), "meta": meta}
    assert cd.status_of(cd.SealingCodec(ring, ALL).decode(resource)) == cd.PLAIN
