"""Self-granted clearance, forged journal authors and closed participation (issue 13 causes 1, 5 and 7).

Generated, not picked: every attacker (regular staff, a behavioural scientist, a buddy of another youth) with
the token her job gets from the authorization server and with a broad ``user/*.cruds`` token of the same
user, tries to write every resource the authorization server derives clearance or a role from (CareTeam,
PractitionerRole, Practitioner, Patient: sandbox/auth/directory.py) every way a write can be sent (POST, PUT,
conditional PUT, JSON PATCH, batch entry, transaction entry; DELETE and conditional DELETE where a delete
could take clearance away). After each attempt she asks for a fresh token, whose clearance and scopes must be
what they were. A write of a programme CareTeam or PractitionerRole that the server accepts counts as
accepted even when it granted nothing (it might next time).

Forged journal entries the same way: labelled (and unlabelled journal-kind) Communications by tokens without
clearance for the youth, or with clearance but ``sender`` set to someone else; each followed by a look with
the loader's token that nothing was stored or changed.

Positive controls run first, so a server that refuses everything fails here too: the coordinator may write
the programme's CareTeam, a buddy her own entry, anyone with the scope a CareTeam outside the programme.

Everything runs on resources this file creates (its own youths and practitioners), cleaned up afterwards.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from hvol_fhir.fhirjson import Json
from hvol_fhir.sealing import membership
from sandbox.org import Organisation
from sandbox.tokens import CASELOAD_CLAIM, JOURNAL_CLAIM, PROGRAMME_CLAIM
from tests.integration.conftest import FhirClient

ROLE = "https://hvol-fhir.org/fhir/CodeSystem/careteam-role"
PROGRAMME = "https://hvol-fhir.org/fhir/CodeSystem/programme"
JOURNAL_KIND = "https://hvol-fhir.org/fhir/CodeSystem/journal-kind"
COMPARTMENT = "https://hvol-fhir.org/fhir/CodeSystem/security-compartment"
CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
SID = "https://hvol-fhir.org/fhir/sid/"
JSON_PATCH = "application/json-patch+json"
RUN = uuid.uuid4().hex[:8]
TODAY = dt.date.today()


def ident(kind: str) -> Json:
    return {"system": SID + kind, "value": str(uuid.uuid4())}


def role_code(code: str) -> Json:
    return {"coding": [{"system": ROLE, "code": code}]}


def practitioner(pid: str) -> Json:
    return {"resourceType": "Practitioner", "id": pid, "active": True, "name": [{"text": f"Test {pid}"}]}


def practitioner_role(rid: str, pid: str, code: str | None) -> Json:
    return {
        "resourceType": "PractitionerRole",
        "id": rid,
        "active": True,
        "practitioner": {"reference": f"Practitioner/{pid}"},
        "code": [role_code(code)] if code else [{"text": "groepsleider"}],
    }


def patient(yid: str) -> Json:
    return {
        "resourceType": "Patient",
        "id": yid,
        "name": [{"text": f"Test {yid}"}],
        "birthDate": "2010-01-01",
    }


def member(pid: str, code: str, period: Json | None = None) -> Json:
    out: Json = {"role": [role_code(code)], "member": {"reference": f"Practitioner/{pid}"}}
    if period:
        out["period"] = period
    return out


def careteam(youth: str, *members: Json, programme: bool = True, ct_id: str | None = None) -> Json:
    out: Json = {
        "resourceType": "CareTeam",
        "identifier": [ident("careteam")],
        "status": "active",
        "subject": {"reference": f"Patient/{youth}"},
        "participant": list(members),
    }
    if programme:
        out["category"] = [{"coding": [{"system": PROGRAMME, "code": "handen-vol-ervaring"}]}]
    else:
        out["participant"] = [{"member": m["member"]} for m in members]
        for m in out["participant"]:
            m["role"] = [{"text": "betrokkene"}]
    if ct_id:
        out["id"] = ct_id
    return out


def journal_entry(youth: str, sender: str, *, labelled: bool = True) -> Json:
    out: Json = {
        "resourceType": "Communication",
        "identifier": [ident("journal-entry")],
        "status": "completed",
        "category": [{"coding": [{"system": JOURNAL_KIND, "code": "buddy-journal"}]}],
        "subject": {"reference": f"Patient/{youth}"},
        "sent": "2026-01-05T10:00:00+01:00",
        "sender": {"reference": sender},
        "payload": [{"contentString": "Synthetisch testverslag"}],
    }
    if labelled:
        out["meta"] = {
            "security": [
                {"system": CONF, "code": "V"},
                {"system": COMPARTMENT, "code": "buddy-programme"},
            ]
        }
    return out


# --- the world this file owns ---------------------------------------------------------------------------


@dataclass
class World:
    org: Organisation
    admin: FhirClient
    youth: str  # programme youth Y: buddy, co-buddy (coach) and a programme CareTeam the attackers target
    other_youth: str  # Z: the attacker-buddy's own youth
    ended_youth: str  # a youth whose buddy's participation ended yesterday (cause 7)
    staff: str
    scientist: str
    buddy: str  # buddy of Y
    coach: str  # coach of Y (cleared for Y)
    other_buddy: str  # buddy of Z only
    coordinator: str  # a coordinator of this file's own
    team: str  # CareTeam id of Y (programme)
    coordinator_role: str
    created: list[str]

    def fhir(self, token: str) -> FhirClient:
        return FhirClient(self.org.fhir_base, token)

    def job_token(self, pid: str) -> str:
        return self.org.token_for(pid)

    def broad_token(self, pid: str) -> str:
        """Any token with write scope, as in the issue: same user and clearance, user/*.cruds."""
        claims = self.claims(pid)
        return self.org.issuer.mint(
            sub=pid,
            scope="user/*.cruds",
            fhir_user=f"Practitioner/{pid}",
            journal=claims.get(JOURNAL_CLAIM, []),
            extra={PROGRAMME_CLAIM: claims[PROGRAMME_CLAIM]} if PROGRAMME_CLAIM in claims else None,
        )

    def claims(self, pid: str) -> Json:
        return self.org.issuer.decode(self.org.token_for(pid))

    def standing(self, pid: str) -> tuple[Any, Any, Any, Any]:
        """What a fresh token says about the user: journal and programme clearance, and her scopes."""
        claims = self.claims(pid)
        # Issue 15: her caseload (the girls her user/ scopes reach) must not grow either.
        return (
            claims.get(JOURNAL_CLAIM),
            claims.get(PROGRAMME_CLAIM),
            claims.get("scope"),
            claims.get(CASELOAD_CLAIM),
        )


def _put(admin: FhirClient, resource: Json, created: list[str]) -> None:
    ref = f"{resource['resourceType']}/{resource['id']}"
    response = admin.put(ref, resource)
    assert response.status_code in (200, 201), response.text
    created.append(ref)


@pytest.fixture(scope="module")
def world(org: Organisation) -> Iterator[World]:
    admin = FhirClient(org.fhir_base, org.admin_token())
    created: list[str] = []
    ring = org.key_ring()  # the setup's memberships are signed as the app signs them (issue 12)

    def signed(resource: Json) -> Json:
        sign = membership.sign_careteam if resource["resourceType"] == "CareTeam" else membership.sign_role
        return sign(ring, resource, f"Practitioner/{ids['coord']}")

    ids = {k: f"sg-{k}-{RUN}" for k in ("y", "z", "e", "staff", "gw", "buddy", "coach", "zbuddy", "coord")}
    for y in ("y", "z", "e"):
        _put(admin, patient(ids[y]), created)
    roles = {
        "staff": None,
        "gw": "behavioural-scientist",
        "buddy": "buddy",
        "coach": "coach",
        "zbuddy": "buddy",
        "coord": "coordinator",
    }
    for key, code in roles.items():
        _put(admin, practitioner(ids[key]), created)
        role = practitioner_role(f"{ids[key]}-role", ids[key], code)
        _put(admin, signed(role) if code else role, created)
    team_y = careteam(
        ids["y"],
        member(ids["coord"], "coordinator"),
        member(ids["buddy"], "buddy", {"start": "2025-01-01"}),
        member(ids["coach"], "coach", {"start": "2025-01-01"}),
        ct_id=f"sg-team-y-{RUN}",
    )
    _put(admin, signed(team_y), created)
    _put(admin, signed(careteam(ids["z"], member(ids["zbuddy"], "buddy"), ct_id=f"sg-team-z-{RUN}")), created)
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    ended = careteam(
        ids["e"],
        member(ids["buddy"], "buddy", {"start": "2025-01-01", "end": yesterday}),
        member(ids["coach"], "coach", {"start": "2025-01-01", "end": yesterday}),
        ct_id=f"sg-team-e-{RUN}",
    )
    _put(admin, signed(ended), created)
    w = World(
        org,
        admin,
        ids["y"],
        ids["z"],
        ids["e"],
        ids["staff"],
        ids["gw"],
        ids["buddy"],
        ids["coach"],
        ids["zbuddy"],
        ids["coord"],
        f"sg-team-y-{RUN}",
        f"{ids['coord']}-role",
        created,
    )
    try:
        yield w
    finally:
        _cleanup(admin, ids)


def _cleanup(admin: FhirClient, ids: dict[str, str]) -> None:
    """Best effort, referrers first: entries, teams and roles, then people and youths."""
    for y in (ids["y"], ids["z"], ids["e"]):
        for kind in ("Communication", "CareTeam"):
            bundle = admin.get(f"{kind}?subject=Patient/{y}&_count=500").json()
            for entry in bundle.get("entry", []):
                admin.delete(f"{kind}/{entry['resource']['id']}")
    for key in ("staff", "gw", "buddy", "coach", "zbuddy", "coord"):
        bundle = admin.get(f"PractitionerRole?practitioner=Practitioner/{ids[key]}&_count=100").json()
        for entry in bundle.get("entry", []):
            admin.delete(f"PractitionerRole/{entry['resource']['id']}")
    for key in ("staff", "gw", "buddy", "coach", "zbuddy", "coord"):
        admin.delete(f"Practitioner/{ids[key]}")
    for y in ("y", "z", "e"):
        admin.delete(f"Patient/{ids[y]}")


# --- ways a write can be sent ------------------------------------------------------------------------


def entry_ok(response: requests.Response) -> bool:
    """Accepted: a 2xx answer, and for a batch a 2xx in its (single) entry."""
    if not response.ok:
        return False
    body = response.json() if response.content else {}
    if body.get("resourceType") == "Bundle" and body.get("type") in (
        "batch-response",
        "transaction-response",
    ):
        return all(
            str(e.get("response", {}).get("status", "")).startswith("2") for e in body.get("entry", [])
        )
    return True


def _bundle(kind: str, method: str, url: str, resource: Json | None) -> Json:
    entry: Json = {"request": {"method": method, "url": url}}
    if resource is not None:
        entry["fullUrl"] = f"urn:uuid:{uuid.uuid4()}"
        entry["resource"] = resource
    return {"resourceType": "Bundle", "type": kind, "entry": [entry]}


@dataclass(frozen=True)
class Attempt:
    """One write of a resource, sent one way; ``existing`` is the id to update/patch/delete."""

    way: str
    resource: Json  # the full resource as the attacker wants it stored
    patch: list[Json] | None = None  # for PATCH: operations that turn the existing one into ``resource``
    existing: str | None = None

    def send(self, client: FhirClient) -> requests.Response:
        rtype = self.resource["resourceType"]
        body = {k: v for k, v in self.resource.items() if k != "id"}
        first_id = self.resource.get("identifier", [{}])[0]
        condition = f"identifier={first_id.get('system')}|{first_id.get('value')}"
        target = f"{rtype}/{self.existing}" if self.existing else None
        match self.way:
            case "POST":
                return client.post(rtype, body)
            case "PUT":
                rid = self.existing or f"sg-{uuid.uuid4().hex[:12]}"
                return client.put(f"{rtype}/{rid}", {**body, "id": rid})
            case "conditional PUT":
                if self.existing:
                    return client.put(f"{rtype}?_id={self.existing}", {**body, "id": self.existing})
                return client.put(f"{rtype}?{condition}", body)
            case "PATCH":
                assert target and self.patch is not None
                return client.request("PATCH", target, self.patch, content_type=JSON_PATCH)
            case "conditional PATCH":
                assert self.existing and self.patch is not None
                return client.request(
                    "PATCH", f"{rtype}?_id={self.existing}", self.patch, content_type=JSON_PATCH
                )
            case "batch" | "transaction":
                kind = self.way
                if target:
                    return client.post("", _bundle(kind, "PUT", target, {**body, "id": self.existing}))
                return client.post("", _bundle(kind, "POST", rtype, body))
            case "batch PATCH" | "transaction PATCH":
                assert target and self.patch is not None
                kind = self.way.split()[0]
                params = {
                    "resourceType": "Binary",
                    "contentType": JSON_PATCH,
                    "data": __import__("base64")
                    .b64encode(__import__("json").dumps(self.patch).encode())
                    .decode(),
                }
                return client.post("", _bundle(kind, "PATCH", target, params))
            case "DELETE":
                assert target
                return client.delete(target)
            case "conditional DELETE":
                assert self.existing
                return client.delete(f"{rtype}?_id={self.existing}")
            case "batch DELETE" | "transaction DELETE":
                assert target
                return client.post("", _bundle(self.way.split()[0], "DELETE", target, None))
        raise AssertionError(self.way)


CREATE_WAYS = ("POST", "PUT", "conditional PUT", "batch", "transaction")
UPDATE_WAYS = (
    "PUT",
    "conditional PUT",
    "PATCH",
    "conditional PATCH",
    "batch",
    "transaction",
    "batch PATCH",
    "transaction PATCH",
)
DELETE_WAYS = ("DELETE", "conditional DELETE", "batch DELETE", "transaction DELETE")


def self_grant_attempts(w: World, attacker: str) -> list[tuple[str, bool, Attempt]]:
    """(what, guarded, attempt): guarded = a programme CareTeam/PractitionerRole write, refused outright."""
    me = f"Practitioner/{attacker}"
    out: list[tuple[str, bool, Attempt]] = []
    # CareTeam: a new one for Y with herself as buddy; Y's team with her added; Y's team deleted.
    for way in CREATE_WAYS:
        out.append(
            ("new CareTeam as buddy", True, Attempt(way, careteam(w.youth, member(attacker, "buddy"))))
        )
    current_team = w.admin.get(f"CareTeam/{w.team}").json()
    joined = {**current_team, "participant": [*current_team["participant"], member(attacker, "buddy")]}
    add_me = [{"op": "add", "path": "/participant/-", "value": member(attacker, "buddy")}]
    for way in UPDATE_WAYS:
        out.append(("join Y's CareTeam", True, Attempt(way, joined, add_me, w.team)))
    for way in DELETE_WAYS:
        out.append(("delete Y's CareTeam", True, Attempt(way, current_team, None, w.team)))
    # PractitionerRole: a new coordinator role; her own role made coordinator; the coordinator's role deleted.
    for way in CREATE_WAYS:
        new_role = practitioner_role("x", attacker, "coordinator")
        new_role["identifier"] = [ident("practitionerrole")]
        out.append(("new coordinator PractitionerRole", True, Attempt(way, new_role)))
    own = w.admin.get(f"PractitionerRole/{attacker}-role").json()
    promoted = {**own, "code": [*own.get("code", []), role_code("coordinator")]}
    add_code = [{"op": "add", "path": "/code/-", "value": role_code("coordinator")}]
    for way in UPDATE_WAYS:
        out.append(
            ("own PractitionerRole made coordinator", True, Attempt(way, promoted, add_code, own["id"]))
        )
    coord_role = w.admin.get(f"PractitionerRole/{w.coordinator_role}").json()
    for way in DELETE_WAYS:
        out.append(("delete the coordinator's role", True, Attempt(way, coord_role, None, coord_role["id"])))
    # Practitioner and Patient grant nothing by themselves: tried anyway, the fresh token must not change.
    own_prac = w.admin.get(f"Practitioner/{attacker}").json()
    qualified = {**own_prac, "qualification": [{"code": role_code("coordinator")}]}
    qualify = [{"op": "add", "path": "/qualification", "value": [{"code": role_code("coordinator")}]}]
    for way in UPDATE_WAYS:
        out.append(("own Practitioner as coordinator", False, Attempt(way, qualified, qualify, attacker)))
    youth = w.admin.get(f"Patient/{w.youth}").json()
    linked = {**youth, "generalPractitioner": [{"reference": me}]}
    link = [{"op": "add", "path": "/generalPractitioner", "value": [{"reference": me}]}]
    for way in UPDATE_WAYS:
        out.append(("Y's Patient linked to her", False, Attempt(way, linked, link, w.youth)))
    return out


def _snapshot(w: World, attacker: str) -> dict[str, Json | None]:
    """The resources the attempts target, as the loader sees them (None when gone)."""
    refs = [
        f"CareTeam/{w.team}",
        f"PractitionerRole/{w.coordinator_role}",
        f"PractitionerRole/{attacker}-role",
    ]
    out: dict[str, Json | None] = {}
    for ref in refs:
        response = w.admin.get(ref)
        out[ref] = response.json() if response.status_code == 200 else None
    return out


def _versions(snapshot: dict[str, Json | None]) -> dict[str, Any]:
    return {ref: (res or {}).get("meta", {}).get("versionId") for ref, res in snapshot.items()}


def _restore(w: World, before: dict[str, Json | None], attacker: str) -> None:
    """After an accepted write (only on a broken server): put the world back for the next attempts."""
    for ref, old in before.items():
        if old is not None:
            w.admin.put(ref, {k: v for k, v in old.items() if k != "meta"})
    for rtype, search in (
        ("CareTeam", f"subject=Patient/{w.youth}"),
        ("PractitionerRole", f"practitioner=Practitioner/{attacker}"),
    ):
        for entry in w.admin.get(f"{rtype}?{search}&_count=200").json().get("entry", []):
            res = entry["resource"]
            if res["id"] not in (w.team, f"{attacker}-role"):
                w.admin.delete(f"{rtype}/{res['id']}")


ATTACKERS: tuple[tuple[str, str], ...] = (
    ("staff", "regular staff"),
    ("scientist", "behavioural scientist (CareTeam.cu in her job)"),
    ("other_buddy", "buddy of another youth"),
)
TOKENS: tuple[tuple[str, Callable[[World, str], str]], ...] = (
    ("job token", World.job_token),
    ("user/*.cruds token", World.broad_token),
)


def stored_entries(w: World, resource: Json) -> int:
    """How many Communications carry this resource's (unique) identifier, as the loader sees them."""
    first = resource["identifier"][0]
    found = w.admin.get(f"Communication?identifier={first['system']}|{first['value']}").json()
    return len(found.get("entry", []))


# --- positive controls ----------------------------------------------------------------------------------


def test_controls_the_coordinator_buddy_and_non_programme_writes_still_work(world: World) -> None:
    w = world
    coordinator = w.fhir(w.job_token(w.coordinator))
    new_team = careteam(w.other_youth, member(w.staff, "mentor"))
    made = coordinator.post("CareTeam", new_team)
    assert made.status_code == 201, made.text
    assert w.admin.delete(f"CareTeam/{made.json()['id']}").ok
    buddy = w.fhir(w.job_token(w.buddy))
    entry = journal_entry(w.youth, f"Practitioner/{w.buddy}")
    own = buddy.post("Communication", entry)
    assert own.status_code == 201, own.text
    assert stored_entries(w, entry) == 1  # the check the forged-entry test relies on can see a stored entry
    edited = {**own.json(), "payload": [{"contentString": "Aangepast testverslag"}]}
    assert buddy.put(f"Communication/{own.json()['id']}", edited).status_code == 200
    scientist = w.fhir(w.job_token(w.scientist))
    other = scientist.post("CareTeam", careteam(w.youth, member(w.scientist, "x"), programme=False))
    assert other.status_code == 201, other.text


# --- cause 1: self-granted clearance ---------------------------------------------------------------------


@pytest.mark.parametrize(("attacker_key", "attacker_label"), ATTACKERS)
@pytest.mark.parametrize(("token_label", "make_token"), TOKENS)
def test_no_self_granted_clearance(
    world: World,
    proof: Any,
    attacker_key: str,
    attacker_label: str,
    token_label: str,
    make_token: Callable[[World, str], str],
) -> None:
    w = world
    attacker: str = getattr(w, attacker_key)
    baseline = w.standing(attacker)
    coordinator_before = w.standing(w.coordinator)
    client = w.fhir(make_token(w, attacker))
    accepted: list[str] = []
    for what, guarded, attempt in self_grant_attempts(w, attacker):
        before = _snapshot(w, attacker) if guarded else {}
        response = attempt.send(client)
        assert response.status_code < 500, (what, attempt.way, response.text[:300])
        changed = w.standing(attacker) != baseline
        if "coordinator" in what:  # a deleted or taken coordinator role would show on the coordinator's token
            changed |= w.standing(w.coordinator) != coordinator_before
        touched = guarded and _versions(_snapshot(w, attacker)) != _versions(before)
        proof.add("self_grants")
        if changed or touched or (guarded and entry_ok(response)):
            proof.found("self_grants_accepted", f"{attacker_label} / {token_label}: {what} by {attempt.way}")
            accepted.append(
                f"{what} by {attempt.way}: {response.status_code}{' (clearance changed)' * changed}"
            )
            _restore(w, before, attacker)
    assert not accepted, f"{attacker_label} with a {token_label}: " + "; ".join(accepted)


# --- cause 5: forged journal entries -----------------------------------------------------------------------


def forged_attempts(w: World) -> list[tuple[str, str, Attempt]]:
    """(who, what, attempt) with the attacker's user id; each must be refused and store nothing."""
    buddy_ref = f"Practitioner/{w.buddy}"
    out: list[tuple[str, str, Attempt]] = []
    for who, sender, youth, what in (
        (w.staff, buddy_ref, w.youth, "staff writes an entry in the buddy's name"),
        (w.scientist, buddy_ref, w.youth, "behavioural scientist writes in the buddy's name"),
        (w.other_buddy, f"Practitioner/{w.other_buddy}", w.youth, "buddy writes in a youth not hers"),
        (w.coach, buddy_ref, w.youth, "coach (cleared) writes in the buddy's name"),
        (w.coordinator, buddy_ref, w.youth, "coordinator (cleared) writes in the buddy's name"),
        (w.coach, f"http://elders.example/fhir/Practitioner/{w.coach}", w.youth, "coach, absolute sender"),
    ):
        for way in CREATE_WAYS:
            out.append((who, what, Attempt(way, journal_entry(youth, sender))))
        unlabelled = journal_entry(youth, sender, labelled=False)
        if sender != f"Practitioner/{who}":
            out.append((who, what + " (no labels)", Attempt("POST", unlabelled)))
            out.append((who, what + " (no labels, transaction)", Attempt("transaction", unlabelled)))
    return out


def _existing_entry(w: World) -> Json:
    buddy = w.fhir(w.job_token(w.buddy))
    made = buddy.post("Communication", journal_entry(w.youth, f"Practitioner/{w.buddy}"))
    assert made.status_code == 201, made.text
    return dict(made.json())


def takeover_attempts(w: World, entry: Json) -> list[tuple[str, str, Attempt]]:
    """Changes to the buddy's own entry by others: text or sender, every update way."""
    out: list[tuple[str, str, Attempt]] = []
    for who in (w.coach, w.coordinator, w.staff, w.other_buddy):
        me = f"Practitioner/{who}"
        for what, changed, patch in (
            (
                "rewrites the buddy's entry",
                {**entry, "payload": [{"contentString": "Vervalst"}]},
                [{"op": "replace", "path": "/payload/0/contentString", "value": "Vervalst"}],
            ),
            (
                "takes the buddy's entry over",
                {**entry, "sender": {"reference": me}},
                [{"op": "replace", "path": "/sender/reference", "value": me}],
            ),
        ):
            for way in UPDATE_WAYS:
                out.append((who, what, Attempt(way, changed, patch, entry["id"])))
    return out


@pytest.mark.parametrize(("token_label", "make_token"), TOKENS)
def test_no_forged_journal_entries(
    world: World, proof: Any, token_label: str, make_token: Callable[[World, str], str]
) -> None:
    w = world
    entry = _existing_entry(w)
    version = entry["meta"]["versionId"]
    tokens: dict[str, str] = {}
    accepted: list[str] = []
    for who, what, attempt in [*forged_attempts(w), *takeover_attempts(w, entry)]:
        token = tokens.setdefault(who, make_token(w, who))
        response = attempt.send(w.fhir(token))
        assert response.status_code < 500, (what, attempt.way, response.text[:300])
        stored = stored_entries(w, attempt.resource)
        if attempt.existing:
            stored = int(w.admin.get(f"Communication/{entry['id']}").json()["meta"]["versionId"] != version)
        proof.add("self_grants")
        if stored or entry_ok(response):
            proof.found("self_grants_accepted", f"{token_label}: {what} by {attempt.way}")
            accepted.append(f"{who}: {what} by {attempt.way}: {response.status_code}, stored {stored}")
            if attempt.existing:
                w.admin.put(f"Communication/{entry['id']}", entry)
                version = w.admin.get(f"Communication/{entry['id']}").json()["meta"]["versionId"]
    assert not accepted, f"{token_label}: " + "; ".join(accepted)


# --- cause 7: closed participation ------------------------------------------------------------------------


def test_ended_participation_gives_no_clearance(world: World, proof: Any) -> None:
    """Buddy and coach of Y (current) are also on E's team with a period that ended yesterday: a fresh token
    names Y only. Then Y's team is closed (status inactive) by the coordinator: the next token has nothing."""
    w = world
    for who in (w.buddy, w.coach):
        proof.add("self_grants")
        journal, programme, _, _ = w.standing(who)
        assert journal == [w.youth] and programme == [w.youth], who
    coordinator = w.fhir(w.job_token(w.coordinator))
    team = w.admin.get(f"CareTeam/{w.team}").json()
    try:
        closed = coordinator.put(f"CareTeam/{w.team}", {**team, "status": "inactive"})
        assert closed.status_code == 200, closed.text
        for who in (w.buddy, w.coach):
            proof.add("self_grants")
            assert w.standing(who)[:2] == (None, None), who
    finally:
        current = w.admin.get(f"CareTeam/{w.team}").json()
        w.admin.put(f"CareTeam/{w.team}", {**current, "status": "active"})


def test_journal_entry_about_a_placeholder_or_match_url_youth_is_refused(world: World, proof: Any) -> None:
    """Inside a transaction HAPI stores an entry before it swaps ``urn:uuid`` placeholders and match URLs for
    ids, so a buddy could name another youth through them: ``Patient?_id=Y``, or a conditional Patient create
    that matches Y. Such a subject needs clearance for every youth; the buddy of Z has it for Z only."""
    w = world
    me = f"Practitioner/{w.other_buddy}"
    client = w.fhir(w.broad_token(w.other_buddy))
    placeholder = f"urn:uuid:{uuid.uuid4()}"
    via_placeholder = journal_entry(w.youth, me)
    via_placeholder["subject"] = {"reference": placeholder}
    via_match_url = journal_entry(w.youth, me)
    via_match_url["subject"] = {"reference": f"Patient?_id={w.youth}"}
    conditional_patient = {
        "fullUrl": placeholder,
        "resource": {"resourceType": "Patient", "name": [{"text": "Test"}]},
        "request": {"method": "POST", "url": "Patient", "ifNoneExist": f"_id={w.youth}"},
    }
    bundles = [
        [
            conditional_patient,
            {"resource": via_placeholder, "request": {"method": "POST", "url": "Communication"}},
        ],
        [{"resource": via_match_url, "request": {"method": "POST", "url": "Communication"}}],
    ]
    accepted = []
    for entries, entry in zip(bundles, (via_placeholder, via_match_url), strict=True):
        response = client.post("", {"resourceType": "Bundle", "type": "transaction", "entry": entries})
        proof.add("self_grants")
        if entry_ok(response) or stored_entries(w, entry):
            proof.found("self_grants_accepted", "journal entry about a placeholder/match-URL youth")
            accepted.append(response.status_code)
    direct = client.post("Communication", via_match_url)
    proof.add("self_grants")
    if entry_ok(direct) or stored_entries(w, via_match_url):
        proof.found("self_grants_accepted", "journal entry about a match-URL youth (POST)")
        accepted.append(direct.status_code)
    assert not accepted, accepted
