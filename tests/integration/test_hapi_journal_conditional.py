"""Conditional writes on journal types, confined to one youth (sandbox/hapi JournalGuardInterceptor).

A conditional create's match is a search the consent service never sees, so its outcome (200/201/412) could
reveal hidden entries. The server allows it only when the condition confines the match to a youth the token
is cleared for: then everything it can match is the caller's to see. This lets a buddy save contact + journal
entry as one retry-safe transaction. Own youths here, so the leak matrix of test_hapi_journal.py is untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from .conftest import FhirClient, Org
from .test_hapi_journal import SID, journal_entry, journal_labels

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def youths(admin: FhirClient) -> tuple[str, str, str]:
    tag = uuid.uuid4().hex[:8]
    youth, other, prac = f"cond-youth-{tag}", f"cond-other-{tag}", f"cond-buddy-{tag}"
    for pid in (youth, other):
        assert admin.put(f"Patient/{pid}", {"resourceType": "Patient", "id": pid}).status_code == 201
    assert admin.put(f"Practitioner/{prac}", {"resourceType": "Practitioner", "id": prac}).status_code == 201
    return youth, other, prac


@pytest.fixture(scope="module")
def labels(org: Org, admin: FhirClient, youths: tuple[str, str, str]) -> list[dict[str, object]]:
    team = admin.post(
        "CareTeam", {"resourceType": "CareTeam", "subject": {"reference": f"Patient/{youths[0]}"}}
    )
    return journal_labels(f"{org.fhir_base}/CareTeam/{team.json()['id']}")


def test_conditional_create_confined_to_a_cleared_youth_is_allowed_and_idempotent(
    org: Org, fhir: Callable[[str | None], FhirClient], youths: tuple[str, str, str], labels: list
) -> None:
    youth, _, prac = youths
    buddy = fhir(
        org.issuer.mint(
            sub=prac, scope="user/Communication.cruds", fhir_user=f"Practitioner/{prac}", journal=[youth]
        )
    )
    ident = str(uuid.uuid4())
    body = journal_entry(youth, prac, labels, ident)
    crit = f"identifier={SID}journal-entry|{ident}&subject=Patient/{youth}"
    first = buddy.post("Communication", body, headers={"If-None-Exist": crit})
    again = buddy.post("Communication", body, headers={"If-None-Exist": crit})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    same_by_patient = f"identifier={SID}journal-entry|{ident}&patient=Patient/{youth}"
    assert buddy.post("Communication", body, headers={"If-None-Exist": same_by_patient}).status_code == 200
    # The same in a transaction entry (how the app saves contact + entry together).
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": body,
                "request": {"method": "POST", "url": "Communication", "ifNoneExist": crit},
            }
        ],
    }
    resp = buddy.post("", bundle)
    assert resp.status_code == 200
    assert resp.json()["entry"][0]["response"]["status"].startswith("200")


@pytest.mark.parametrize(
    "condition",
    [
        "identifier={sid}journal-entry|{ident}",  # not confined at all
        # a youth the token is not cleared for
        "identifier={sid}journal-entry|{ident}&subject=Patient/{youth}",
        "identifier={sid}journal-entry|{ident}&subject=Patient/{other},Patient/{youth}",  # OR over youths
        "identifier={sid}journal-entry|{ident}&subject=Patient/{other}&patient=Patient/{youth}",
        "identifier={sid}journal-entry|{ident}&subject:missing=false",
    ],
)
def test_conditional_create_not_confined_to_a_cleared_youth_is_refused_whether_or_not_it_matches(
    org: Org,
    fhir: Callable[[str | None], FhirClient],
    admin: FhirClient,
    youths: tuple[str, str, str],
    labels: list,
    condition: str,
) -> None:
    youth, other, prac = youths
    existing = str(uuid.uuid4())
    assert admin.post("Communication", journal_entry(youth, prac, labels, existing)).status_code == 201
    other_buddy = fhir(org.issuer.mint(sub="cond-other", scope="user/Communication.cruds", journal=[other]))
    body = journal_entry(other, prac, labels, str(uuid.uuid4()))
    answers = []
    for ident in (existing, str(uuid.uuid4())):
        crit = condition.format(sid=SID, ident=ident, youth=youth, other=other)
        resp = other_buddy.post("Communication", body, headers={"If-None-Exist": crit})
        answers.append((resp.status_code, resp.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 403
