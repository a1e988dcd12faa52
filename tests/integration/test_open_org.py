"""The sandbox option for an EHR that enforces no labels (issue 12, item 6): organisation "C" (``open_org``)
still checks bearer tokens and SMART scopes, but hides no journal entry: a regular staff member reads a
labelled Communication there, while the enforcing organisation (``org``) answers the same request as for an
entry that does not exist. Discovery and CapabilityStatement are those of an enforcing organisation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .conftest import FhirClient, Org

pytestmark = pytest.mark.integration

YOUTH = "hv-youth-06"  # buddy hv-buddy-1; hv-staff-1 is regular staff without journal clearance
OTHER_YOUTH = "hv-youth-01"
STAFF = "hv-staff-1"
COMPARTMENT = "https://hvol-fhir.org/fhir/CodeSystem/security-compartment|buddy-programme"

# Ways to the youth's journal for a staff token; {x} is a journal entry's id.
WAYS = (
    "Communication/{x}",
    "Communication/{x}/_history/1",
    "Communication/{x}/_history",
    "Communication/{x}/$meta",
    f"Communication?subject=Patient/{YOUTH}&_count=500",
    f"Communication?_security={COMPARTMENT}&subject=Patient/{YOUTH}&_count=500",
    f"Patient?_id={YOUTH}&_revinclude=Communication:subject&_count=500",
    f"Patient/{YOUTH}/$everything?_count=1000",
)


def _journal_entry(org: Org) -> str:
    """The id of one of the youth's labelled journal Communications (the demo data's ids are fixed)."""
    admin = FhirClient(org.fhir_base, org.admin_token())
    found = admin.get(f"Communication?subject=Patient/{YOUTH}&_security={COMPARTMENT}&_count=1").json()
    return str(found["entry"][0]["resource"]["id"])


def _pages(client: FhirClient, path: str, limit: int = 30) -> str:
    """Every page of a search or operation answer, as one text."""
    texts: list[str] = []
    url: str | None = path
    while url and len(texts) < limit:
        resp = client.get(url)
        assert resp.status_code == 200, resp.text[:300]
        texts.append(resp.text)
        url = next((lk["url"] for lk in resp.json().get("link", []) if lk["relation"] == "next"), None)
    return "\n".join(texts)


def _labelled(resource: dict[str, Any]) -> bool:
    system, code = COMPARTMENT.split("|")
    labels = resource["meta"].get("security", [])
    return any(s.get("system") == system and s.get("code") == code for s in labels)


@pytest.fixture(scope="module")
def entry(org: Org, open_org: Org) -> str:
    ident = _journal_entry(open_org)
    assert ident == _journal_entry(org)  # same demo data on both: the same request means the same thing
    return ident


@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.split("&_count")[0].replace("{x}", "x"))
def test_staff_reads_the_journal_on_the_open_ehr_and_not_on_the_enforcing_one(
    org: Org, open_org: Org, entry: str, way: str
) -> None:
    path = way.replace("{x}", entry)
    staff_at_c = FhirClient(open_org.fhir_base, open_org.token_for(STAFF, YOUTH))
    opened = staff_at_c.get(path)
    assert opened.status_code == 200, opened.text[:300]
    # $meta answers with the labels only (no id); the others name the entry on some page
    assert COMPARTMENT.split("|")[1] in opened.text if "$meta" in way else entry in _pages(staff_at_c, path)
    staff_at_a = FhirClient(org.fhir_base, org.token_for(STAFF, YOUTH))
    enforced = staff_at_a.get(path)
    if "{x}" in way:  # the enforcing server answers as for an entry that does not exist
        missing = f"hv-journal-bestaat-niet-{uuid.uuid4().hex[:8]}"
        absent = staff_at_a.get(way.replace("{x}", missing))
        assert enforced.status_code == absent.status_code == 404
        assert enforced.text.replace(entry, "<id>") == absent.text.replace(missing, "<id>")
    else:
        assert enforced.status_code == 200, enforced.text[:300]
        assert entry not in _pages(staff_at_a, path)


def test_the_staff_token_has_no_clearance_and_what_it_reads_is_labelled(open_org: Org, entry: str) -> None:
    """The point of the option: the server ignores the labels, not a token that happens to be cleared."""
    token = open_org.token_for(STAFF, YOUTH)
    assert not open_org.issuer.decode(token).get("hvol_journal")
    read = FhirClient(open_org.fhir_base, token).get(f"Communication/{entry}")
    assert read.status_code == 200
    assert _labelled(read.json())


@pytest.mark.parametrize(
    "token",
    ["none", "garbage", "other organisation", "expired"],
)
def test_the_open_ehr_still_refuses_requests_without_a_valid_token(
    org: Org, open_org: Org, entry: str, token: str
) -> None:
    bearer = {
        "none": None,
        "garbage": "niet-een-token",
        "other organisation": org.token_for(STAFF, YOUTH),  # signed by A's key, for A's audience
        # an expired token with every right: C's own key, but past its time
        "expired": open_org.issuer.mint(sub="laat", scope="system/*.*", admin=True, lifetime=-60),
    }[token]
    for path in (f"Communication/{entry}", f"Communication?subject=Patient/{YOUTH}", f"Patient/{YOUTH}"):
        resp = FhirClient(open_org.fhir_base, bearer).get(path)
        assert resp.status_code == 401, (path, resp.status_code)
        assert entry not in resp.text


@pytest.mark.parametrize(
    "scope, method, path",
    [
        ("launch/patient patient/Encounter.rs", "GET", "Communication/{x}"),
        ("launch/patient patient/Encounter.rs", "GET", f"Communication?subject=Patient/{YOUTH}"),
        ("launch/patient patient/Encounter.rs", "GET", f"Patient/{YOUTH}/$everything"),
        ("user/Patient.rs user/CarePlan.rs", "GET", "Communication/{x}/_history"),
        ("user/Patient.rs user/CarePlan.rs", "GET", "_history"),
        ("user/*.rs", "POST", "Communication"),
        ("user/*.cruds", "POST", "Subscription"),
        ("launch/patient patient/*.rs", "GET", f"Communication?subject=Patient/{OTHER_YOUTH}"),
    ],
)
def test_the_open_ehr_still_refuses_too_narrow_scopes(
    open_org: Org, entry: str, scope: str, method: str, path: str
) -> None:
    token = open_org.token_for(STAFF, YOUTH, scope=scope)
    body: dict[str, Any] | None = None
    if method == "POST":
        body = {"resourceType": path, "status": "completed", "identifier": [{"value": str(uuid.uuid4())}]}
        if path == "Subscription":
            body = {
                "resourceType": "Subscription",
                "status": "requested",
                "reason": "alles doorsturen",
                "criteria": "Communication?",
                "channel": {"type": "rest-hook", "endpoint": "http://127.0.0.1:9/"},
            }
    resp = FhirClient(open_org.fhir_base, token).request(method, path.replace("{x}", entry), body)
    assert resp.status_code == 403, (scope, path, resp.status_code, resp.text[:300])
    assert entry not in resp.text


def test_discovery_and_capability_are_those_of_an_enforcing_organisation(org: Org, open_org: Org) -> None:
    def shape(o: Org) -> tuple[Any, Any]:
        anon = FhirClient(o.fhir_base, None)
        smart = anon.get(".well-known/smart-configuration").json()
        meta = anon.get("metadata").json()
        smart_shape = {k: v for k, v in smart.items() if not str(v).startswith(o.auth_url)}
        rest = meta["rest"][0]
        kinds = {
            (r["type"], tuple(sorted(i["code"] for i in r.get("interaction", [])))) for r in rest["resource"]
        }
        return (smart_shape, sorted(smart)), (rest["security"]["service"], sorted(kinds))

    assert shape(open_org) == shape(org)
