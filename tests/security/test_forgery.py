"""Issue 12 on the same server: what a user who can write CareTeams, PractitionerRoles and Communications in
the EHR can do to the programme, and what she gets for it. Each forgery is written straight into the EHR (the
loader's token stands for "an EHR that lets her"), then the app and the authorization server are asked:

- a membership the app did not sign grants no role in the app and no journal clearance in the token;
- a journal entry the app did not seal is shown as "niet door de app geschreven", never as its sender's;
- a sealed entry that was tampered with shows as "kan niet worden geopend" to the coordinator, the rest of the
  page works, the failure is audited and nothing on the server is overwritten; a buddy or coach, who reads by
  period (issue 14), does not get it at all: a seal that does not open has no time that can be trusted to
  place it in her period.

Every attempt counts as a row of the proof table ("forged memberships and entries tried / accepted").
"""

from __future__ import annotations

import base64
import copy
import html
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from hvol_fhir import terminology as t
from hvol_fhir.sealing import membership
from tests.conftest_proof import Proof

from .conftest import YOUTH, SecApp, visible_text

pytestmark = [pytest.mark.integration, pytest.mark.proof]


@pytest.fixture(params=["A", "C"], ids=["enforcing EHR", "EHR that enforces nothing"])
def site(request: pytest.FixtureRequest) -> tuple[SecApp, str]:
    """The app with the traject of hv-youth-06, on the enforcing organisation and on the open one."""
    if request.param == "A":
        return request.getfixturevalue("sec_app"), request.getfixturevalue("ident")
    return request.getfixturevalue("open_app"), request.getfixturevalue("open_ident")


BROKEN_COPY = "a real envelope copied to a new entry"
INTRUDER = "hv-staff-1"  # regular staff who wants to read the journal
ROLE_SYSTEM = t.cs_url("careteam-role")


def _headers(org: Any) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {org.admin_token()}",
        "Accept": "application/fhir+json",
        "Content-Type": "application/fhir+json",
    }


def _get(org: Any, path: str, **params: str) -> dict[str, Any]:
    resp = requests.get(f"{org.fhir_base}/{path}", params=params, headers=_headers(org), timeout=60)
    assert resp.status_code == 200, resp.text[:300]
    return dict(resp.json())


def _put(org: Any, res: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in res.items() if k != "meta"} | {
        "meta": {"security": res.get("meta", {}).get("security", [])}
    }
    if not body["meta"]["security"]:
        body.pop("meta")
    resp = requests.put(
        f"{org.fhir_base}/{res['resourceType']}/{res['id']}", json=body, headers=_headers(org), timeout=60
    )
    assert resp.status_code in (200, 201), resp.text[:600]
    return dict(resp.json())


def _clearance(org: Any, user: str) -> list[str]:
    """The journal clearance the authorization server puts in a fresh token for ``user``."""
    token = org.token_for(user, YOUTH)
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return list(claims.get("hvol_journal") or [])


def _participant(user: str, role: str) -> dict[str, Any]:
    return {
        "role": [{"coding": [{"system": ROLE_SYSTEM, "code": role}]}],
        "member": {"reference": f"Practitioner/{user}"},
        "period": {"start": "2026-01-01"},
    }


def _team(org: Any) -> dict[str, Any]:
    return _get(org, "CareTeam", subject=f"Patient/{YOUTH}", status="active")["entry"][0]["resource"]


@contextmanager
def _written(org: Any, res: dict[str, Any], restore: dict[str, Any] | None) -> Iterator[None]:
    _put(org, res)
    try:
        yield
    finally:
        if restore is not None:
            _put(org, restore)
        else:
            requests.delete(
                f"{org.fhir_base}/{res['resourceType']}/{res['id']}", headers=_headers(org), timeout=60
            )


def forged_memberships(org: Any) -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(what, resource to write, resource to put back afterwards or None to delete it)."""
    team = _team(org)
    added = copy.deepcopy(team)
    added["participant"].append(_participant(INTRUDER, "buddy"))
    as_coach = copy.deepcopy(team)
    as_coach["participant"].append(_participant(INTRUDER, "coach"))
    swapped = copy.deepcopy(team)
    for p in swapped["participant"]:
        if any(c.get("code") == "buddy" for r in p.get("role", []) for c in r.get("coding", [])):
            p["member"] = {"reference": f"Practitioner/{INTRUDER}"}
    unsigned = copy.deepcopy(team)
    unsigned["extension"] = [e for e in unsigned.get("extension", []) if e["url"] != membership.EXT_SIGNATURE]
    if not unsigned["extension"]:
        del unsigned["extension"]
    unsigned["participant"].append(_participant(INTRUDER, "buddy"))
    n = uuid.uuid4().hex[:8]
    second_team = {
        "resourceType": "CareTeam",
        "id": f"forged-team-{n}",
        "status": "active",
        "identifier": [{"system": t.sid("careteam"), "value": f"forged-{n}"}],
        "category": team.get("category"),
        "subject": {"reference": f"Patient/{YOUTH}"},
        "participant": [_participant(INTRUDER, "buddy")],
        # the real team's signature, copied
        "extension": [e for e in team.get("extension", []) if e["url"] == membership.EXT_SIGNATURE],
    }
    coordinator_role = {
        "resourceType": "PractitionerRole",
        "id": f"forged-role-{n}",
        "active": True,
        "practitioner": {"reference": f"Practitioner/{INTRUDER}"},
        "code": [{"coding": [{"system": ROLE_SYSTEM, "code": "coordinator"}]}],
    }
    real_role = _get(org, "PractitionerRole/hv-coordinator-role")
    taken_role = {
        **copy.deepcopy(real_role),
        "id": f"forged-taken-{n}",
        "practitioner": {"reference": f"Practitioner/{INTRUDER}"},
    }
    return [
        ("added to the signed team as buddy", added, team),
        ("added to the signed team as coach", as_coach, team),
        ("swapped in for the buddy", swapped, team),
        ("signature removed, added as buddy", unsigned, team),
        ("a second team with the first team's signature", second_team, None),
        ("an unsigned coordinator role", coordinator_role, None),
        ("the coordinator's signed role copied to herself", taken_role, None),
    ]


def test_a_membership_the_app_did_not_sign_grants_nothing(site: tuple[SecApp, str], proof: Proof) -> None:
    sec_app, ident = site
    org = sec_app.org
    assert YOUTH not in _clearance(org, INTRUDER) and "*" not in _clearance(org, INTRUDER)
    for what, forged, restore in forged_memberships(org):
        with _written(org, forged, restore):
            proof.add("forgeries")
            granted = _clearance(org, INTRUDER)
            page = sec_app.as_user(INTRUDER)
            journal = page.get(f"/t/{ident}/journaal")
            start = visible_text(page.get("/").text)
            accepted = YOUTH in granted or "*" in granted or journal.status_code == 200
            if accepted:
                proof.found("forgeries_accepted", what)
            assert not accepted, (what, granted, journal.status_code)
            assert "Programmakaart" in start or "programmakaart" in start.lower(), what
    # the real members keep their rights
    assert YOUTH in _clearance(org, "hv-buddy-1")
    assert sec_app.as_user("hv-buddy-1").get(f"/t/{ident}/journaal").status_code == 200


def _journal_entries(org: Any) -> list[dict[str, Any]]:
    found = _get(org, "Communication", subject=f"Patient/{YOUTH}", _count="500")
    return [e["resource"] for e in found.get("entry", [])]


def _articles(page_html: str) -> list[str]:
    return [a for a in page_html.split('<article class="entry"')[1:]]


def test_an_entry_forged_in_a_buddys_name_is_shown_as_not_written_by_the_app(
    site: tuple[SecApp, str], proof: Proof
) -> None:
    sec_app, ident = site
    org = sec_app.org
    sealed = next(c for c in _journal_entries(org) if "contentAttachment" in json.dumps(c.get("payload")))
    n = uuid.uuid4().hex[:8]
    text = f"Vervalst verslag {n} (synthetisch)"
    forged = copy.deepcopy(sealed)
    forged.update(id=f"forged-entry-{n}", sent="2026-12-01T10:00:00+01:00")
    forged["identifier"] = [{"system": t.sid("journal-entry"), "value": str(uuid.uuid4())}]
    forged["payload"] = [{"contentString": text}]
    forged.pop("text", None)
    copied = copy.deepcopy(sealed)  # the envelope of a real entry, pasted onto a new entry
    copied.update(id=f"forged-copy-{n}")
    copied["identifier"] = [{"system": t.sid("journal-entry"), "value": str(uuid.uuid4())}]
    cases: list[tuple[str, dict[str, Any], Callable[[str], bool]]] = [
        ("plaintext entry with a buddy as sender", forged, lambda a: "niet door de app geschreven" in a),
        (BROKEN_COPY, copied, lambda a: "kan niet worden geopend" in a),
    ]
    for what, res, shown_right in cases:
        with _written(org, res, None):
            proof.add("forgeries")
            for reader in ("hv-buddy-1", "hv-coordinator"):
                page = sec_app.as_user(reader).get(f"/t/{ident}/journaal")
                assert page.status_code == 200
                mine = f'data-entry="{res["id"]}"'
                articles = [a for a in _articles(html.unescape(page.text)) if mine in a]
                if reader == "hv-buddy-1" and what == BROKEN_COPY:  # no trusted time: left out (issue 14)
                    ok = not articles and res["id"] not in page.text
                else:
                    ok = len(articles) == 1 and shown_right(articles[0])
                if not ok:
                    proof.found("forgeries_accepted", f"{what} ({reader})")
                assert ok, (what, reader, res["id"] in page.text, [visible_text(a)[:300] for a in articles])


def test_a_tampered_entry_does_not_open_is_audited_and_nothing_is_overwritten(
    site: tuple[SecApp, str], proof: Proof
) -> None:
    sec_app, ident = site
    org = sec_app.org
    entry = next(c for c in _journal_entries(org) if "contentAttachment" in json.dumps(c.get("payload")))
    token = base64.b64decode(entry["payload"][0]["contentAttachment"]["data"]).decode()
    parts = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(parts[3] + "=" * (-len(parts[3]) % 4)))
    raw[0] ^= 1
    parts[3] = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    tampered = copy.deepcopy(entry)
    tampered["payload"][0]["contentAttachment"]["data"] = base64.b64encode(".".join(parts).encode()).decode()
    proof.add("forgeries")
    stored = _put(org, tampered)
    try:
        page = sec_app.as_user("hv-coordinator").get(f"/t/{ident}/journaal")
        text = html.unescape(page.text)
        assert page.status_code == 200
        assert "Dit verslag kan niet worden geopend." in text and "gewijzigd of beschadigd" in text
        assert len(_articles(text)) > 5  # the rest of the journal is there
        buddy = html.unescape(sec_app.as_user("hv-buddy-1").get(f"/t/{ident}/journaal").text)
        # Issue 14: its time cannot be trusted, so a reader limited to periods does not get it at all.
        assert f'data-entry="{entry["id"]}"' not in buddy and "gewijzigd of beschadigd" not in buddy
        assert len(_articles(buddy)) > 5  # her other entries are there
        after = _get(org, f"Communication/{entry['id']}")
        assert after["meta"]["versionId"] == stored["meta"]["versionId"]  # nothing overwritten
        audits = _get(org, "AuditEvent", patient=f"Patient/{YOUTH}", _count="200", _sort="-_lastUpdated")
        failures = [
            a["resource"]
            for a in audits.get("entry", [])
            if a["resource"].get("outcome") == "4"
            and f"Communication/{entry['id']}" in json.dumps(a["resource"].get("entity"))
        ]
        if not failures:
            proof.found("forgeries_accepted", "tampered entry left no audit")
        assert failures
    finally:
        _put(org, entry)
