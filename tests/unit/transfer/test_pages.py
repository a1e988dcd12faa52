"""The coordinator's transfer pages (smart_app/transfer.py) with the real planner on an in-memory traject.

The launch and the two servers are replaced by small fakes; the plan the pages show and send is real.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import RSAKey

from hvol_fhir.ehr.errors import EhrRejected
from hvol_fhir.ehr.outcome import parse_outcome
from hvol_fhir.smart import load_signing_key
from hvol_fhir.transfer import TargetRefused, TransferPlan, TransferRequest, TransferResult, build_plan
from smart_app import create_app
from smart_app.sessions import MemoryAppStore, browser_key, new_browser_record

from .conftest import CAREPLAN, CONSENTED, NOW, disclosure, snapshot

SID = "s" * 40
TARGETS = [{"id": "anker", "name": "Het Anker", "fhir_base": "http://b.example/fhir"}]


@dataclass
class FakeUser:
    reference: str = "Practitioner/hv-coordinator"


@dataclass
class FakeContext:
    patient: str = "hv-youth-06"


@dataclass
class FakeSession:
    fhir_base: str = "http://a.example/fhir"
    fhir_user: FakeUser = field(default_factory=FakeUser)
    context: FakeContext = field(default_factory=FakeContext)


@dataclass
class FakeLaunches:
    role: str = "coordinator"

    def current(self, launch_id: str, session_id: str) -> FakeSession:
        assert session_id == SID
        return FakeSession()

    def view(self, launch_id: str) -> dict[str, Any]:
        return {"role": self.role}


class FakeSource:
    def search(self, resource_type: str, params: Any) -> dict[str, Any]:
        return {"entry": [{"resource": {"resourceType": "CarePlan", "id": CAREPLAN.split("/")[1]}}]}


@dataclass
class FakeTransfer:
    refuse: Exception | None = None
    sent: list[TransferPlan] = field(default_factory=list)
    source: FakeSource = field(default_factory=FakeSource)

    def request_for(self, careplan: str, coordinator: str, reason: str, **kw: Any) -> TransferRequest:
        return TransferRequest(
            careplan=careplan,
            target="http://b.example/fhir",
            target_name="Het Anker",
            coordinator=coordinator,
            reason=reason,
            **kw,
        )

    def preview(self, request: TransferRequest) -> TransferPlan:
        return build_plan(snapshot(disclosure()), request, NOW)

    def send(self, plan: TransferPlan) -> TransferResult:
        if self.refuse:
            raise self.refuse
        self.sent.append(plan)
        return TransferResult(
            plan.key,
            plan.request.mode,
            "Het Anker",
            "CarePlan/9",
            "http://b.example/fhir/CarePlan/9",
            created=40,
            matched=5,
            recorded_at_source=True,
        )


@pytest.fixture
def fake() -> FakeTransfer:
    return FakeTransfer()


@pytest.fixture
def app(tmp_path: Path, fake: FakeTransfer) -> Flask:
    key = load_signing_key(
        RSAKey.generate_key(2048, parameters={"kid": "t"}, private=True).as_dict(private=True)
    )
    app = create_app(
        {
            "TESTING": True,
            "HVOL_APP_URL": "http://127.0.0.1:5099",
            "HVOL_ISSUERS": "https://a.example/fhir",
            "HVOL_SANDBOX": True,
            "HVOL_SIGNING_KEY": key,
            "HVOL_STORE": MemoryAppStore(),
            "HVOL_KEY_FILE": str(tmp_path / "k.json"),
            "HVOL_TRANSFER_TARGETS": TARGETS,
        }
    )
    app.extensions["hvol"].service = FakeLaunches()
    # SID is an id the app issued (a browser record exists); "o" * 40 below is not.
    app.extensions["hvol"].store.put_browser(browser_key(SID), new_browser_record(), 3600)
    app.extensions["hvol_transfer"] = lambda session, target: fake
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    c = app.test_client()
    c.set_cookie(app.config["SESSION_COOKIE_NAME"], SID)
    return c


URL = "/l/launch-1/overdracht/"


def _form(client: FlaskClient, journal: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    page = client.get(URL, query_string={"dagboek": list(journal)}).get_data(as_text=True)
    key = page.split('name="sleutel" value="')[1].split('"')[0]
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    return {
        "csrf_token": csrf,
        "naar": "anker",
        "traject": CAREPLAN,
        "wijze": "handover",
        "reden": "Verhuisd naar B",
        "sleutel": key,
        **extra,
    }


def test_preview_lists_what_goes_and_what_stays_without_content(client: FlaskClient) -> None:
    resp = client.get(URL)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    sent = page.split('data-testid="sent"')[1].split("</ul>")[0]
    staying = page.split('data-testid="staying"')[1].split("</ul>")[0]
    assert "Traject" in sent and "Contact" in sent and "Contactjournaal" not in sent
    assert "Contactjournaal" in staying and "blijft hier" in staying
    assert page.count('data-testid="journal-option"') == len(CONSENTED)
    assert "bankje aan het water" not in page and "999" not in page  # no journal text, no BSN


def test_only_the_coordinator_may_transfer(app: Flask, client: FlaskClient) -> None:
    app.extensions["hvol"].service = FakeLaunches(role="buddy")
    resp = client.get(URL)
    assert resp.status_code == 403 and "coördinator" in resp.get_data(as_text=True)


def test_confirm_sends_the_previewed_plan(client: FlaskClient, fake: FakeTransfer) -> None:
    # Ticking a journal entry changes the plan: it must be previewed as "sent" before it can be confirmed.
    unseen = {**_form(client), "dagboek": list(CONSENTED)}
    assert client.post(URL, data=unseen).status_code == 409 and fake.sent == []
    form = {**_form(client, journal=CONSENTED), "dagboek": list(CONSENTED)}
    resp = client.post(URL, data=form)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "Het traject staat nu bij Het Anker" in resp.get_data(as_text=True)
    [plan] = fake.sent
    assert plan.journal_sent == CONSENTED and plan.request.reason == "Verhuisd naar B"


def test_journal_without_consent_is_refused_and_the_form_kept(
    client: FlaskClient, fake: FakeTransfer
) -> None:
    form = _form(client, dagboek="Communication/hv-journal-06-010")
    resp = client.post(URL, data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "geen geldige toestemming" in page
    assert "Verhuisd naar B" in page and fake.sent == []


def test_a_changed_plan_is_shown_again_before_sending(client: FlaskClient, fake: FakeTransfer) -> None:
    resp = client.post(URL, data=_form(client, sleutel="stale"))
    assert resp.status_code == 409 and "intussen iets veranderd" in resp.get_data(as_text=True)
    assert fake.sent == []


def test_refusal_by_b_is_shown_in_plain_words(client: FlaskClient, fake: FakeTransfer) -> None:
    outcome = parse_outcome(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": "required",
                    "expression": ["Encounter.period"],
                    "diagnostics": "secret 999",
                }
            ],
        }
    )
    fake.refuse = TargetRefused(
        "Het Anker heeft het traject niet aangenomen.", cause=EhrRejected(ehr_status=422, outcome=outcome)
    )
    resp = client.post(URL, data=_form(client))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "niet aangenomen" in page and "Encounter.period" in page and "secret" not in page
    assert "Verhuisd naar B" in page


@pytest.mark.parametrize("token", [None, "", "0" * 64])
def test_a_post_without_the_csrf_token_is_refused(
    client: FlaskClient, fake: FakeTransfer, token: str | None
) -> None:
    form = _form(client)
    if token is None:
        del form["csrf_token"]
    else:
        form["csrf_token"] = token
    assert client.post(URL, data=form).status_code == 400
    assert client.post(URL + "voorvertoning", data=form).status_code == 400
    assert fake.sent == []


def test_the_token_of_another_browser_session_is_refused(app: Flask, fake: FakeTransfer) -> None:
    mine = app.test_client()
    mine.set_cookie(app.config["SESSION_COOKIE_NAME"], SID)
    form = _form(mine)
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], "o" * 40)
    assert other.post(URL, data=form).status_code == 400 and fake.sent == []


def test_updating_the_preview_is_a_post_that_keeps_the_form(client: FlaskClient) -> None:
    form = {**_form(client), "dagboek": list(CONSENTED)}
    resp = client.post(URL + "voorvertoning", data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Verhuisd naar B" in page
    sent = page.split('data-testid="sent"')[1].split("</ul>")[0]
    assert all(f'value="{ref}"' in sent for ref in CONSENTED)  # the ticked entries now go
    assert 'formmethod="get"' not in page  # nothing of the form ends up in a URL
