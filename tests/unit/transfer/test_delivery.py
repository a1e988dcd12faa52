"""Sealed content on a transfer (issue 12, item 5), pure: the plan from a snapshot read through A's codec.

A's snapshot is the demo traject as the app stores it (sealed with A's ring) and as the transfer reads it
(opened with A's ring). Sealed to B: no plaintext of any confidential part, no envelope under A's keys, and
only B's ring opens it, only while B accepts A's signature. Plaintext: no envelope at all.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from functools import cache
from typing import Any

import pytest

from hvol_fhir.errors import InvalidInput
from hvol_fhir.mapping import labels
from hvol_fhir.sealing import fields, keys
from hvol_fhir.sealing.codec import PLAIN, SEALED, SealingCodec, envelopes, status_of
from hvol_fhir.sealing.envelope import Binding, SealBroken, open_json, peek_header, seal_to
from hvol_fhir.sealing.membership import verification_keys
from hvol_fhir.transfer import Snapshot, build_plan, offline
from hvol_fhir.transfer.delivery import PLAINTEXT, Delivery, delivery_for, wrap_key
from hvol_fhir.transfer.delivery import SEALED as SEAL_TO_B
from hvol_fhir.transfer.errors import RecipientKeysUnavailable, SealedAtSource

from .conftest import CONSENTED, NOW, disclosure, request, snapshot

ALL = frozenset(fields.KINDS)


@cache
def _rings() -> tuple[keys.KeyRing, keys.KeyRing]:
    return keys.generate("A"), keys.generate("B")


def _read_at_a(snap: Snapshot) -> Snapshot:
    """The snapshot as the transfer sees it: stored sealed with A's ring, read through A's codec."""
    a, _ = _rings()
    writer, reader = SealingCodec(a, frozenset()), SealingCodec(a, ALL)
    opened = {k: reader.decode(writer.encode(r)) for k, r in snap.resources.items()}
    return replace(snap, resources=opened)


def _to_b() -> Delivery:
    a, b = _rings()
    return Delivery(SEAL_TO_B, wrap_key(b.public_jwks()), a)


def _b_codec(*, accept_a: bool = True) -> SealingCodec:
    a, b = _rings()
    return SealingCodec(b, ALL, senders=verification_keys(a) if accept_a else None)


def _journal_texts(snap: Snapshot) -> list[str]:
    return [snap.resources[k]["payload"][0]["contentString"] for k in CONSENTED]


def _as_stored_at_b(resource: dict[str, Any]) -> dict[str, Any]:
    """B resolves each conditional reference to its own id and keeps the identifier beside it."""
    out = copy.deepcopy(resource)
    for key in ("subject", "sender", "patient"):
        node = out.get(key)
        if isinstance(node, dict) and "?" in str(node.get("reference")):
            node["reference"] = f"{node['reference'].split('?')[0]}/b-{abs(hash(node['reference'])) % 1000}"
    return out


def test_sealed_to_b_carries_no_plaintext_and_nothing_under_as_keys() -> None:
    snap = _read_at_a(snapshot(disclosure()))
    plan = build_plan(snap, request(journal=CONSENTED), NOW, _to_b())
    assert plan.delivery == "sealed" and "versleuteld" in plan.delivery_nl
    text = json.dumps(plan.bundle, ensure_ascii=False)
    texts = _journal_texts(snap)
    assert texts and not [t for t in texts if t in text]
    tokens = [t for e in plan.bundle["entry"] for t in envelopes(e["resource"]).values()]
    a, b = _rings()
    assert tokens and {peek_header(t)["kid"] for t in tokens} == {b.current("wrap").kid}
    assert "seal-status" not in text  # A's in-memory notes stay at A
    for purpose in ("seal", "sign", "wrap"):
        for k in a.keys[purpose]:
            secret = k.as_dict(private=True)
            assert (secret.get("d") or secret["k"]) not in text


def test_b_opens_what_was_sealed_to_it_only_while_it_accepts_as_signature() -> None:
    snap = _read_at_a(snapshot(disclosure()))
    plan = build_plan(snap, request(journal=CONSENTED), NOW, _to_b())
    journal = [_as_stored_at_b(e["resource"]) for e in plan.bundle["entry"]]
    journal = [r for r in journal if r["resourceType"] == "Communication"]
    assert len(journal) == 2
    opened = [_b_codec().decode(r) for r in journal]
    assert [status_of(r) for r in opened] == [SEALED, SEALED]
    assert sorted(r["payload"][0]["contentString"] for r in opened) == sorted(_journal_texts(snap))
    assert all(labels.has_full_label_set(r["meta"]) for r in opened)
    unsigned = [status_of(_b_codec(accept_a=False).decode(r)) for r in journal]
    assert unsigned == ["broken:seal-unsigned"] * 2
    a, _ = _rings()
    at_a = [status_of(SealingCodec(a, ALL).decode(r)) for r in journal]
    assert at_a == ["broken:seal-unknown-key"] * 2
    # The same envelope moved to another youth's identifier or entry identifier does not open.
    moved = copy.deepcopy(journal[0])
    moved["subject"]["identifier"]["value"] = "999990019"
    renamed = copy.deepcopy(journal[0])
    renamed["identifier"][0]["value"] = "00000000-0000-4000-8000-000000000000"
    swapped = copy.deepcopy(journal[0])
    swapped["payload"] = journal[1]["payload"]
    for res in (moved, renamed, swapped):
        assert (status_of(_b_codec().decode(res)) or "").startswith("broken")


def test_every_sealed_kind_goes_sealed_to_b() -> None:
    snap = _read_at_a(snapshot(disclosure()))
    plan = build_plan(snap, request(journal=CONSENTED), NOW, _to_b())
    kinds = {
        peek_header(t)["hvol"]["kind"]
        for e in plan.bundle["entry"]
        for t in envelopes(e["resource"]).values()
    }
    assert {"Communication.payload", "CarePlan.traject", "Consent.disclosure"} <= kinds, kinds
    careplan = next(
        e["resource"] for e in plan.bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"
    )
    assert "victim" not in json.dumps(careplan.get("category", []))


def test_plaintext_delivery_has_no_envelope() -> None:
    snap = _read_at_a(snapshot(disclosure()))
    plan = build_plan(snap, request(journal=CONSENTED), NOW, PLAINTEXT)
    assert plan.delivery == "plain" and "leesbaar" in plan.delivery_nl
    assert not [t for e in plan.bundle["entry"] for t in envelopes(e["resource"]).values()]
    text = json.dumps(plan.bundle, ensure_ascii=False)
    assert all(t in text for t in _journal_texts(snap)) and "seal-status" not in text


def test_as_own_ciphertext_never_goes() -> None:
    """A snapshot read without A's keys (as the transfer read before issue 12.5) is refused, in both modes."""
    a, _ = _rings()
    writer = SealingCodec(a, frozenset())
    raw = snapshot(disclosure())
    sealed = replace(raw, resources={k: writer.encode(r) for k, r in raw.resources.items()})
    for delivery in (PLAINTEXT, _to_b()):
        with pytest.raises(SealedAtSource) as caught:
            build_plan(sealed, request(), NOW, delivery)
        assert "niets verstuurd" in caught.value.message_nl


def test_an_entry_not_written_by_the_app_does_not_go_as_its_authors() -> None:
    snap = _read_at_a(snapshot(disclosure()))
    forged = copy.deepcopy(snap.resources[CONSENTED[0]])
    forged["meta"]["extension"] = [
        e for e in forged["meta"]["extension"] if not e["url"].endswith("seal-status")
    ] + [{"url": "https://hvol-fhir.org/fhir/StructureDefinition/seal-status", "valueString": PLAIN}]
    resources = {**snap.resources, CONSENTED[0]: forged}
    with pytest.raises(InvalidInput) as caught:
        build_plan(replace(snap, resources=resources), request(journal=CONSENTED), NOW, _to_b())
    assert "niet door de app geschreven" in caught.value.message_nl


def test_a_wrap_envelope_without_a_senders_signature_does_not_open() -> None:
    _, b = _rings()
    binding = Binding("identifier:x|1", "Communication.payload", "y|2", "identifier:z|3", "2026-11-30")
    token = seal_to(wrap_key(b.public_jwks()), {"payload": []}, binding)
    with pytest.raises(SealBroken) as caught:
        open_json(b, token, binding, verification_keys(b))
    assert caught.value.code == "seal-unsigned"


def test_export_file_says_which_and_refuses_as_own_ciphertext() -> None:
    snap = _read_at_a(snapshot(disclosure()))
    for delivery, code in ((_to_b(), "sealed-to-recipient"), (PLAINTEXT, "plaintext")):
        plan = build_plan(snap, request(journal=CONSENTED), NOW, delivery)
        bundle = offline.export_bundle(plan, "2026-11-30T12:00:00Z")
        assert offline.delivery_of(bundle) == code
        report = offline.check_bundle(bundle)
        assert report.ok, report.problems
        assert any("Vertrouwelijke inhoud" in w for w in report.warnings)
    a, _ = _rings()
    own = SealingCodec(a, frozenset()).encode(dict(snap.resources[CONSENTED[0]]))
    own.pop("id", None)
    entry = copy.deepcopy(bundle["entry"][-1])
    entry["resource"] = own
    problems = offline.check_bundle({**bundle, "entry": [*bundle["entry"], entry]}).problems
    assert any("sleutel van de afzender" in p for p in problems)


def test_target_configuration() -> None:
    a, b = _rings()
    assert delivery_for({"fhir_base": "x"}, None) is PLAINTEXT
    with pytest.raises(RecipientKeysUnavailable):
        delivery_for({"runs_app": True}, a)  # where are B's keys?
    with pytest.raises(RecipientKeysUnavailable):
        delivery_for({"runs_app": True, "keys_file": "/nonexistent/keys.json"}, a)
    with pytest.raises(RecipientKeysUnavailable):
        wrap_key({"keys": [k for k in b.public_jwks()["keys"] if k["use"] == "sig"]})
    private = {"keys": [k.as_dict(private=True) for k in b.keys["wrap"]]}
    assert not wrap_key(private).is_private  # only the public half is ever used
    rotated = keys.rotate(b, ["wrap"])
    assert wrap_key(rotated.public_jwks()).kid == rotated.current("wrap").kid


def test_as_membership_signature_stays_at_a() -> None:
    """A's signature on the team is A's act: it verifies only with A's keys and grants nothing at B."""
    from hvol_fhir.sealing import membership

    a, _ = _rings()
    raw = snapshot(disclosure())
    signed = {
        k: membership.sign_careteam(a, r, "Practitioner/hv-coordinator")
        if r["resourceType"] == "CareTeam"
        else r
        for k, r in raw.resources.items()
    }
    snap = _read_at_a(replace(raw, resources=signed))
    assert any(membership.is_signed(r) for r in snap.resources.values())
    for delivery in (PLAINTEXT, _to_b()):
        plan = build_plan(snap, request(), NOW, delivery)
        [team] = [e["resource"] for e in plan.bundle["entry"] if e["resource"]["resourceType"] == "CareTeam"]
        assert not membership.is_signed(team) and team.get("participant")
