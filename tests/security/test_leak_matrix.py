"""The leak matrix with the demo's real roles (issue 8.2): every role's token as the authorization server
issues
it (journal clearance derived from the youth's CareTeam) × every way into the raw FHIR API, on hv-youth-06's
journal as the demo and the app wrote it. Expected per cell: a reader finds the journal; a non-reader's answer
holds no journal id, label or text, and every existence oracle answers as for a missing entry.

The minted-token matrix of tests/integration/test_hapi_journal*.py (counted in the summary) checks the server
mechanics on its own data; this one checks the roles and the data the product really produces. The app's pages
per role: test_canaries.py.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from hvol_fhir.smart.backend import BackendServicesClient
from hvol_fhir.smart.registration import ClientRegistration
from hvol_fhir.smart.token import PrivateKeyJwt
from tests.conftest_proof import Proof
from tests.integration import transfer_support as ts
from tests.integration.app_support import resources_in
from tests.sealing_support import journal_text

from .conftest import YOUTH, Canaries, SecApp
from .support import ROLES, Role

pytestmark = [pytest.mark.integration, pytest.mark.proof]

COMPARTMENT = "https://hvol-fhir.org/fhir/CodeSystem/security-compartment"
CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
SID = "https://hvol-fhir.org/fhir/sid/journal-entry"
FHIR = "application/fhir+json"


@dataclass(frozen=True)
class Journal:
    ids: tuple[str, ...]  # Communication, AuditEvent, Consent ids (restricted)
    audit: str  # one journal AuditEvent id
    entry: str  # one journal Communication id
    identifier: str  # its sid/journal-entry value
    traject: str  # CarePlan id
    texts: tuple[str, ...]  # fragments of every journal text


def _admin(org: Any, path: str) -> dict[str, Any]:
    resp = requests.get(
        f"{org.fhir_base}/{path}",
        headers={"Authorization": f"Bearer {org.admin_token()}", "Accept": FHIR},
        timeout=120,
    )
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


@pytest.fixture(scope="module")
def journal(org: Any, canaries: Canaries) -> Journal:
    label = f"_security={COMPARTMENT}|buddy-programme&_count=500"
    comms = [
        e["resource"] for e in _admin(org, f"Communication?subject=Patient/{YOUTH}&{label}").get("entry", [])
    ]
    audits, consents = (
        [e["resource"]["id"] for e in _admin(org, f"{kind}?patient=Patient/{YOUTH}&{label}").get("entry", [])]
        for kind in ("AuditEvent", "Consent")
    )
    assert comms and audits and consents
    others = audits + consents
    entry = next(c for c in comms if c.get("identifier"))
    # The texts as the app opens them (issue 12: the server holds ciphertext), searched for in every answer.
    plain = [journal_text(org, c) for c in comms]
    texts = tuple(t[:40] for t in plain if len(t) > 12)
    assert texts
    plan = _admin(org, f"CarePlan?subject=Patient/{YOUTH}")["entry"][0]["resource"]["id"]
    ids = tuple(c["id"] for c in comms) + tuple(others)
    return Journal(ids, audits[0], entry["id"], entry["identifier"][0]["value"], plan, texts)


@pytest.fixture(scope="module")
def tokens(org: Any, sec_app: SecApp) -> dict[str, str]:
    out = {r.name: org.token_for(r.user, YOUTH) for r in ROLES}
    # The Backend Services client (transfers) with the app's own key, through the real token endpoint.
    from smart_app.config import load_or_create_key

    key = load_or_create_key(sec_app.workdir / "app-key.json")
    registration = ClientRegistration(
        org.fhir_base,
        ts.CLIENT_ID,
        "http://127.0.0.1/unused",
        PrivateKeyJwt(ts.CLIENT_ID, key),  # type: ignore[arg-type]
    )
    client = BackendServicesClient(registration, [ts.SCOPE], http=requests.Session(), sandbox=True)
    out["Backend Services client"] = client.access_token()
    return out


MATRIX_ROLES = [*ROLES, Role("Backend Services client", "hvol-transfer", True)]


def ways(j: Journal) -> list[tuple[str, str, str, Any]]:
    """(name, method, path, body) for every way in; ``{x}`` is replaced by a journal id or a missing one."""
    y, e = YOUTH, j.entry
    bundle = lambda kind: {  # noqa: E731
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {"request": {"method": "GET", "url": u}}
            for u in (
                "Communication/{x}",
                "Communication/{x}/$meta",
                f"Communication?subject=Patient/{y}",
                f"Patient?_id={y}&_revinclude=Communication:subject",
            )
        ],
    }
    searches = [
        f"subject=Patient/{y}",
        f"patient=Patient/{y}",
        f"_security={COMPARTMENT}|buddy-programme",
        f"_security={CONF}|V",
        f"_security:not={CONF}|R",
        f"identifier={SID}|{j.identifier}",
        f"based-on=CarePlan/{j.traject}",
        "category=buddy-journal",
        "category=coaching-journal",
        "sender=Practitioner/hv-buddy-1",
        "recipient=Practitioner/hv-coach-1",
        "sent=ge2000-01-01",
        "_id={x}",
        "_lastUpdated=gt2000-01-01",
        "status=completed",
        "_profile=https://hvol-fhir.org/fhir/StructureDefinition/hvol-journal-communication",
        f"subject=Patient/{y}&_elements=id,status",
        f"subject=Patient/{y}&_summary=true",
        f"subject=Patient/{y}&_summary=text",
        f"subject=Patient/{y}&_summary=data",
        f"subject=Patient/{y}&_summary=count",
        f"subject=Patient/{y}&_total=accurate",
        f"subject=Patient/{y}&_include=Communication:subject",
        f"subject=Patient/{y}&_include=*",
        "_sort=-sent&_count=5",
        f"subject=Patient/{y}&_content=vertelde",
    ]
    out: list[tuple[str, str, str, Any]] = [
        ("read", "GET", "Communication/{x}", None),
        ("vread", "GET", "Communication/{x}/_history/1", None),
        ("$meta", "GET", "Communication/{x}/$meta", None),
        ("instance history", "GET", "Communication/{x}/_history", None),
        ("type history", "GET", "Communication/_history?_count=200", None),
        ("system history", "GET", "_history?_count=300", None),
        ("$everything", "GET", f"Patient/{y}/$everything?_count=500", None),
        (
            "_revinclude Patient",
            "GET",
            f"Patient?_id={y}&_revinclude=Communication:subject&_revinclude=AuditEvent:patient",
            None,
        ),
        ("_revinclude *", "GET", f"Patient?_id={y}&_revinclude=*", None),
        ("_revinclude CarePlan", "GET", f"CarePlan?_id={j.traject}&_revinclude=Communication:based-on", None),
        ("_has", "GET", f"Patient?_has:Communication:subject:status=completed&_id={y}", None),
        ("_has AuditEvent", "GET", f"Patient?_has:AuditEvent:patient:action=R&_id={y}", None),
        ("chain", "GET", "Task?focus:Communication.status=completed", None),
        ("AuditEvent read", "GET", f"AuditEvent/{j.audit}", None),
        ("AuditEvent search patient", "GET", f"AuditEvent?patient=Patient/{y}", None),
        ("AuditEvent search entity", "GET", f"AuditEvent?entity=Communication/{e}", None),
        ("AuditEvent search agent", "GET", "AuditEvent?agent=Practitioner/hv-buddy-1", None),
        ("AuditEvent history", "GET", "AuditEvent/_history", None),
        ("Consent search", "GET", f"Consent?patient=Patient/{y}&_include=*", None),
        ("Consent history", "GET", "Consent/_history", None),
        ("batch", "POST", "", bundle("batch")),
        ("transaction", "POST", "", bundle("transaction")),
        ("graphql", "GET", '$graphql?query={Communication(id:"{x}"){id}}', None),
        ("server $meta", "GET", "$meta", None),
    ]
    out += [(f"search {q.split('=')[0]}", "GET", f"Communication?{q}", None) for q in searches]
    return out


def _call(
    base: str, token: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> requests.Response:
    hdrs = {"Authorization": f"Bearer {token}", "Accept": FHIR, "Content-Type": FHIR, **(headers or {})}
    return requests.request(
        method,
        f"{base}/{path}".rstrip("/"),
        data=json.dumps(body) if body else None,
        headers=hdrs,
        timeout=120,
    )


def _follow(base: str, token: str, resp: requests.Response, limit: int = 30) -> list[requests.Response]:
    pages = [resp]
    while len(pages) < limit:
        try:
            links = resp.json().get("link", [])
        except ValueError:
            break
        nxt = [lk["url"] for lk in links if lk.get("relation") == "next"]
        if not nxt:
            break
        resp = requests.get(nxt[0], headers={"Authorization": f"Bearer {token}", "Accept": FHIR}, timeout=120)
        pages.append(resp)
    return pages


def _leaks(resp: requests.Response, j: Journal, echoed: set[str], types: frozenset[str]) -> list[str]:
    """hv-youth-06's restricted resources in an answer: by id, or by label + a reference to her. (Other
    youths' journals may be visible to a buddy or coach of theirs; the request's own echo is ignored.)"""
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if isinstance(body, dict):
        body.pop("link", None)
    found = []
    for res in resources_in(body):
        text = json.dumps(res)
        labelled = "buddy-programme" in json.dumps(res.get("meta", {}))
        if res.get("id") in j.ids or (
            labelled and res.get("resourceType") in types and f"Patient/{YOUTH}" in text
        ):
            found.append(f"{res.get('resourceType')}/{res.get('id')}")
    raw = json.dumps(body)
    found += [i for i in j.ids if i in raw and i not in echoed]
    return found


def _hidden_types(role: Role) -> frozenset[str]:
    """Restricted types a non-reader may not see; the behavioural scientist reads measurement scores
    (QuestionnaireResponse, programme clearance) but never the journal."""
    journal = frozenset({"Communication", "AuditEvent", "Consent"})
    return journal if role.user == "hv-behavioural-scientist" else journal | {"QuestionnaireResponse"}


def _normal(resp: requests.Response, rid: str) -> Any:
    text = re.sub(
        r'"(id|lastUpdated|versionId|fullUrl|url)"\s*:\s*"[^"]*"', "", resp.text.replace(rid, "<ID>")
    )
    return resp.status_code, text


@pytest.mark.parametrize("role", MATRIX_ROLES, ids=lambda r: r.name)
def test_role_by_every_way_in(
    org: Any, tokens: dict[str, str], journal: Journal, proof: Proof, role: Role
) -> None:
    token, base = tokens[role.name], org.fhir_base
    problems: list[str] = []
    for name, method, path, body in ways(journal):
        hidden = path.replace("{x}", journal.entry)
        payload = json.loads(json.dumps(body).replace("{x}", journal.entry)) if body else None
        resp = _call(base, token, method, hidden, payload)
        proof.add("leak_cells")
        if resp.status_code >= 500:
            problems.append(f"{name}: {resp.status_code}")
            continue
        if role.reader:
            continue  # positive controls below
        pages = _follow(base, token, resp) if resp.status_code == 200 else [resp]
        asked = hidden + json.dumps(payload)
        echo = {i for i in journal.ids if i in asked}
        leaked = [x for p in pages for x in _leaks(p, journal, echo, _hidden_types(role))]
        if leaked:
            problems.append(f"{name}: {sorted(set(leaked))[:3]}")
            proof.found("leaks", f"{role.name} × {name}")
        named = next((i for i in (journal.entry, journal.audit) if i in hidden), None)
        if named and method == "GET" and "?" not in hidden:  # same answer as for an id that does not exist
            missing = str(uuid.uuid4())
            absent = _call(base, token, method, hidden.replace(named, missing))
            if _normal(resp, named) != _normal(absent, missing):
                problems.append(
                    f"{name}: differs from a missing id ({resp.status_code}/{absent.status_code})"
                )
                proof.found("leaks", f"{role.name} × {name} (existence oracle)")
    if role.reader:
        read = _call(base, token, "GET", f"Communication/{journal.entry}")
        found = _call(base, token, "GET", f"Communication?subject=Patient/{YOUTH}&_count=500")
        assert read.status_code == 200, read.text[:300]
        assert journal.entry in found.text
    assert not problems, problems


@pytest.mark.parametrize("role", [r for r in ROLES if not r.reader], ids=lambda r: r.name)
def test_conditional_writes_are_no_existence_oracle(
    org: Any, tokens: dict[str, str], journal: Journal, proof: Proof, role: Role
) -> None:
    token, base = tokens[role.name], org.fhir_base
    body = {
        "resourceType": "Communication",
        "status": "completed",
        "subject": {"reference": f"Patient/{YOUTH}"},
        "identifier": [{"system": SID, "value": str(uuid.uuid4())}],
    }
    answers = []
    for ident in (journal.identifier, str(uuid.uuid4())):
        for crit in (f"identifier={SID}|{ident}", f"identifier={SID}|{ident}&subject=Patient/{YOUTH}"):
            post = _call(base, token, "POST", "Communication", body, {"If-None-Exist": crit})
            put = _call(base, token, "PUT", f"Communication?{crit}", body)
            tx = _call(
                base,
                token,
                "POST",
                "",
                {
                    "resourceType": "Bundle",
                    "type": "transaction",
                    "entry": [
                        {
                            "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                            "resource": body,
                            "request": {"method": "POST", "url": "Communication", "ifNoneExist": crit},
                        }
                    ],
                },
            )
            answers.append([(r.status_code, re.sub(r"[0-9a-f-]{36}", "", r.text)) for r in (post, put, tx)])
            proof.add("leak_cells", 3)
    existing, missing = answers[:2], answers[2:]
    if existing != missing:
        proof.found("leaks", f"{role.name} × conditional create/update oracle")
    assert existing == missing
    assert all(status in (400, 403, 404, 412, 422) for a in answers for status, _ in a), answers
