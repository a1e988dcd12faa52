"""Issue 15: a buddy's or coach's caseload token (user-level, no patient) reaches her own girls only.

The attacker is hv-buddy-1 with the token her job gets without a launch patient (``user/`` scopes and the
claim ``hvol_caseload``, derived from her signed memberships). The target is a girl of another buddy
(hv-youth-07: hidden) against a girl who does not exist (missing). Every probe is sent twice, once naming the
hidden girl or one of her resources and once naming the missing one, over every type of the Patient
compartment the hidden girl has data of, every way a request can be sent:

- read, vread, instance history, ``$meta`` of one of her resources;
- search on each of the type's ``patient`` / ``subject`` parameters, on ``_id``, with ``_include`` and
  ``_revinclude``, through ``_has`` and a chained parameter, ``_summary=count`` and ``_total``, and paging
  (``_count=1``: the answers' links);
- each as GET, POST ``_search``, batch GET entry and transaction GET entry (reads: GET, batch, transaction).

Once the names are swapped for placeholders, the two answers must not differ in status, body, headers,
paging links or counts, and none may carry data of the hidden girl. Positive controls first: the same token
finds her own girls' data (so a server that refuses everything fails here), and a type-level history (which
cannot be narrowed) is refused whichever girl exists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from sandbox.tokens import CASELOAD_CLAIM
from tests.integration import conftest as integration
from tests.integration.conftest import FhirClient
from tests.security.test_generated_probes import answer_shape, first_difference

pytestmark = [pytest.mark.integration, pytest.mark.proof]
fhir, admin = integration.fhir, integration.admin

ATTACKER = "hv-buddy-1"
OWN = "hv-youth-06"  # one of hv-buddy-1's girls (demo data)
HIDDEN = "hv-youth-07"  # hv-buddy-2's girl
MISSING = "hv-youth-97"
FORM = "application/x-www-form-urlencoded"
WAYS = ("GET", "POST _search", "batch", "transaction")
READ_WAYS = ("GET", "batch", "transaction")


@dataclass
class Side:
    """One side of the probes: the girl named and, per type, the id of one of her resources."""

    patient: str
    ids: dict[str, str]
    bsn: str

    def fill(self, query: str) -> str:
        out = query.replace("{pid}", self.patient).replace("{bsn}", self.bsn)
        for type_, id_ in self.ids.items():
            out = out.replace(f"{{id:{type_}}}", id_)
        return out

    def swaps(self) -> list[tuple[str, str]]:
        pairs = [(self.patient, "<pid>"), (self.bsn, "<bsn>")]
        pairs += [(v, f"<id:{k}>") for k, v in self.ids.items()]
        return sorted(pairs, key=lambda p: -len(p[0]))


class _Variant:
    """The shape ``answer_shape`` of the generated probes expects (only ``swaps`` is used)."""

    def __init__(self, side: Side) -> None:
        self.side = side

    def swaps(self) -> list[tuple[str, str]]:
        return self.side.swaps()


def compartment_params(metadata: dict[str, Any]) -> dict[str, list[str]]:
    """Per type of the server, its search parameters named patient or subject (CapabilityStatement)."""
    out: dict[str, list[str]] = {}
    for res in metadata["rest"][0]["resource"]:
        names = [p["name"] for p in res.get("searchParam", []) if p["name"] in ("patient", "subject")]
        if names:
            out[res["type"]] = names
    return out


def one_of_hers(admin: FhirClient, type_: str, param: str, patient: str) -> str | None:
    resp = admin.get(f"{type_}?{param}=Patient/{patient}&_count=1&_elements=id")
    entries = resp.json().get("entry") or [] if resp.status_code == 200 else []
    return str(entries[0]["resource"]["id"]) if entries else None


def send(client: FhirClient, way: str, path: str) -> requests.Response:
    if way == "GET":
        return client.get(path)
    if way == "POST _search":
        type_, _, query = path.partition("?")
        headers = {"Content-Type": FORM, "Accept": "application/fhir+json"}
        return client.http.post(client.url(f"{type_}/_search"), data=query, headers=headers, timeout=60)
    entry = {"request": {"method": "GET", "url": path}}
    return client.post("", {"resourceType": "Bundle", "type": way, "entry": [entry]})


@dataclass
class World:
    attacker: FhirClient
    hidden: Side
    missing: Side
    params: dict[str, list[str]]
    secrets: list[str]


@pytest.fixture(scope="module")
def world(org: Any, fhir: Callable[[str | None], FhirClient], admin: FhirClient) -> World:
    params = compartment_params(admin.get("metadata").json())
    ids: dict[str, str] = {}
    for type_, names in params.items():
        found = one_of_hers(admin, type_, names[0], HIDDEN)
        if found:
            ids[type_] = found
    ids["Patient"] = HIDDEN
    patient = admin.get(f"Patient/{HIDDEN}").json()
    bsn = next(str(i["value"]) for i in patient.get("identifier") or [] if i.get("value"))
    hidden = Side(HIDDEN, ids, bsn)
    missing = Side(MISSING, {t: f"zz-missing-{t.lower()}" for t in ids} | {"Patient": MISSING}, "999990000")
    secrets = [v for k, v in ids.items() if k != "Patient"] + [bsn]
    return World(fhir(org.token_for(ATTACKER)), hidden, missing, params, secrets)


def _claims(token: str) -> dict[str, Any]:
    import base64

    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def test_the_caseload_token_finds_her_own_girls_and_only_them(org: Any, world: World) -> None:
    claims = _claims(org.token_for(ATTACKER))
    assert "patient" not in claims
    assert OWN in claims[CASELOAD_CLAIM] and HIDDEN not in claims[CASELOAD_CLAIM]
    own = world.attacker.get(f"CarePlan?patient=Patient/{OWN}")
    assert own.status_code == 200 and own.json().get("entry"), own.text[:300]
    every = world.attacker.get("CarePlan?_count=200").json()
    subjects = {e["resource"]["subject"]["reference"] for e in every.get("entry") or []}
    assert subjects and subjects <= {f"Patient/{p}" for p in claims[CASELOAD_CLAIM]}
    patients = world.attacker.get("Patient?_count=200").json()
    assert {e["resource"]["id"] for e in patients.get("entry") or []} <= set(claims[CASELOAD_CLAIM])
    assert len(world.hidden.ids) >= 6, "the hidden girl has data of most compartment types"


def test_type_history_cannot_be_narrowed_and_is_refused(world: World) -> None:
    for type_ in ("CarePlan", "Encounter", "Patient"):
        assert world.attacker.get(f"{type_}/_history").status_code == 403


def probes(world: World) -> list[tuple[str, str, tuple[str, ...]]]:
    """(label, path template, ways)."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for type_ in sorted(world.hidden.ids):
        rid = f"{{id:{type_}}}"
        out += [
            (f"read {type_}", f"{type_}/{rid}", READ_WAYS),
            (f"vread {type_}", f"{type_}/{rid}/_history/1", READ_WAYS),
            (f"history {type_}", f"{type_}/{rid}/_history", READ_WAYS),
            (f"$meta {type_}", f"{type_}/{rid}/$meta", ("GET",)),
            (f"_id {type_}", f"{type_}?_id={rid}", WAYS),
            (f"_id+_include {type_}", f"{type_}?_id={rid}&_include=*", WAYS),
        ]
        for param in world.params.get(type_, []):
            out += [
                (f"{param} {type_}", f"{type_}?{param}=Patient/{{pid}}", WAYS),
                (f"{param} bare {type_}", f"{type_}?{param}={{pid}}", ("GET",)),
                (f"{param} count {type_}", f"{type_}?{param}=Patient/{{pid}}&_summary=count", WAYS),
                (
                    f"{param} paging {type_}",
                    f"{type_}?{param}=Patient/{{pid}}&_count=1&_total=accurate",
                    WAYS,
                ),
                (f"{param} chain {type_}", f"{type_}?{param}:Patient.identifier={{bsn}}", WAYS),
                (
                    f"{param} include {type_}",
                    f"{type_}?{param}=Patient/{{pid}}&_include={type_}:{param}",
                    WAYS,
                ),
            ]
            if type_ != "Patient":
                out += [
                    (f"_has {type_}", f"Patient?_has:{type_}:{param}:_id={rid}", WAYS),
                    (f"_revinclude {type_}", f"Patient?_id={{pid}}&_revinclude={type_}:{param}", WAYS),
                ]
    return out


def test_hidden_girl_answers_as_a_missing_one_every_way(world: World, proof: Any) -> None:
    differences: list[str] = []
    count = 0
    for label, template, ways in probes(world):
        for way in ways:
            a = send(world.attacker, way, world.hidden.fill(template))
            b = send(world.attacker, way, world.missing.fill(template))
            count += 1
            proof.add("caseload_probes")
            shape_a = answer_shape(a, _Variant(world.hidden))  # type: ignore[arg-type]
            shape_b = answer_shape(b, _Variant(world.missing))  # type: ignore[arg-type]
            problem = None
            if shape_a != shape_b:
                problem = f"hidden and missing differ: {first_difference(shape_a, shape_b)}"
            elif a.status_code >= 500:
                problem = f"server error {a.status_code}"
            elif any(s in a.text for s in world.secrets if s not in world.hidden.fill(template)):
                problem = "hidden girl's data in the answer"
            if problem:
                differences.append(f"{label} [{way}] {a.status_code}/{b.status_code}: {problem}")
                proof.found("caseload_leaks", f"{label} [{way}]")
    print(f"caseload probes: {count}, differences: {len(differences)}")
    assert count > 300
    assert not differences, "\n".join(differences[:40])
