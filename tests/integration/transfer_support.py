"""Two sandbox organisations for the transfer tests and the benchmark, and synthetic trajects to move.

A synthetic youth is written at A only (fresh BSN from the 99999xxxx test range), so B starts clean for her:
her traject, team, contacts, journal, a participation Consent and, optionally, a disclosure Consent that
lets a few journal entries go to the receiving organisation. Everything goes through the library's mappers,
as the app would write it (sealed with A's key ring and memberships signed, issue 12), and is loaded with the
loader's admin token. The transfer service reads A through a codec with A's ring, as the app's does.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests
from joserfc.jwk import RSAKey

from hvol_fhir.ehr import FhirClient, RoundTripCounter
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import ConsentGrant
from hvol_fhir.sealing import fields
from hvol_fhir.sealing.codec import SealingCodec
from hvol_fhir.sealing.membership import verification_keys
from hvol_fhir.smart.backend import BackendServicesClient
from hvol_fhir.smart.keys import load_signing_key, public_jwks
from hvol_fhir.smart.registration import ClientRegistration
from hvol_fhir.smart.token import PrivateKeyJwt
from hvol_fhir.transfer import TransferService
from hvol_fhir.transfer.delivery import PLAINTEXT, SEALED, Delivery, wrap_key
from sandbox.demo_data import COORDINATOR, sealed, story_resources
from sandbox.demo_scenario import Youth, _story

CLIENT_ID = "hvol-transfer"
SCOPE = "system/*.*"
B_ORG = {
    "resourceType": "Organization",
    "id": "hv-org-b",
    "active": True,
    "identifier": [{"system": "https://hvol-fhir.org/fhir/sid/organisation", "value": "hv-org-b"}],
    "name": "Jeugdzorg Het Anker (demo B)",
}
_HEADERS = {
    "Content-Type": "application/fhir+json",
    "Accept": "application/fhir+json",
    "Prefer": "return=minimal",
}


def new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": f"transfer-{uuid.uuid4().hex[:8]}"}, private=True)


def client_registration(key: RSAKey) -> dict[str, Any]:
    """The transfer service's registration with each organisation's authorization server."""
    return {
        "client_id": CLIENT_ID,
        "jwks": public_jwks([key]),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": SCOPE,
        "journal": ["*"],
    }


def backend(fhir_base: str, key: RSAKey, http: requests.Session | None = None) -> BackendServicesClient:
    signing = load_signing_key(key.as_dict(private=True))
    registration = ClientRegistration(
        fhir_base,
        CLIENT_ID,
        "http://127.0.0.1/unused",
        PrivateKeyJwt(CLIENT_ID, signing),  # type: ignore[arg-type]
    )
    return BackendServicesClient(registration, [SCOPE], http=http or requests.Session(), sandbox=True)


def fhir_client(
    fhir_base: str, key: RSAKey, counter: RoundTripCounter | None = None, **kw: Any
) -> FhirClient:
    auth = backend(fhir_base, key)
    return FhirClient(fhir_base, auth, counter=counter, on_unauthorized=auth.invalidate, **kw)


def source_codec(org: Any) -> SealingCodec:
    """What the transfer reads A through: A's own ring, every kind opened."""
    return SealingCodec(org.key_ring(), frozenset(fields.KINDS))


def receiver_codec(org: Any, *senders: Any) -> SealingCodec:
    """B's app as her coordinator: B's ring, accepting transfers signed by ``senders``' rings."""
    keys = verification_keys({"keys": [k for s in senders for k in s.key_ring().public_jwks()["keys"]]})
    return SealingCodec(org.key_ring(), frozenset(fields.KINDS), senders=keys)


def sealed_to(b: Any, a: Any) -> Delivery:
    """Delivery for a target that runs the app: sealed to B's published wrap key, signed by A."""
    return Delivery(SEALED, wrap_key(b.key_ring().public_jwks()), a.key_ring())


def service(
    a: Any,
    b: Any,
    key: RSAKey,
    counter: RoundTripCounter | None = None,
    delivery: Delivery = PLAINTEXT,
    **kw: Any,
) -> TransferService:
    return TransferService(
        source=fhir_client(a.fhir_base, key, counter, codec=source_codec(a)),
        target=fhir_client(b.fhir_base, key, counter, **kw),
        source_name="Jeugdzorg De Horizon (demo A)",
        target_name="Jeugdzorg Het Anker (demo B)",
        delivery=delivery,
    )


def _bsn(n: int) -> str:
    """A test BSN (11-proof) unique per youth number: 9999 + n + a digit that makes the check digit valid.
    The demo's youths have 99999xxxx, so n below 900 never meets them."""
    assert 0 <= n < 900, n
    for free in range(10):
        digits = [9, 9, 9, 9, *map(int, f"{n:03d}"), free]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            return "".join(map(str, [*digits, check]))
    raise AssertionError(n)


@dataclass(frozen=True)
class Synthetic:
    patient: str
    careplan: str
    journal: tuple[str, ...]  # every journal entry of the traject
    consented: tuple[str, ...]  # entries the disclosure Consent covers
    resources: int  # written at A


def put_all(fhir_base: str, token: str, resources: list[dict[str, Any]], size: int = 250) -> None:
    with requests.Session() as http:
        for start in range(0, len(resources), size):
            entries = [
                {
                    "fullUrl": f"{fhir_base}/{r['resourceType']}/{r['id']}",
                    "resource": r,
                    "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
                }
                for r in resources[start : start + size]
            ]
            resp = http.post(
                fhir_base,
                data=json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}),
                headers={**_HEADERS, "Authorization": f"Bearer {token}"},
                timeout=600,
            )
            if resp.status_code != 200:
                errors = [i for i in resp.json().get("issue", []) if i.get("severity") in ("error", "fatal")]
                raise RuntimeError(f"laden mislukt ({resp.status_code}): {errors[:5]}")


def synthetic_traject(
    org: Any,
    n: int,
    *,
    weeks: int = 20,
    consent_entries: int = 2,
    bsn: bool = True,
    seed: int = 7,
    seal: bool = True,
) -> Synthetic:
    """A contact-period traject for a new youth number ``n`` (>= 50, so ids never clash with the demo's)."""
    rng = random.Random(seed * 1000 + n)
    today = date.today()
    youth = Youth(
        f"hv-youth-{n:02d}",
        "Test",
        f"Jongere {n}",
        today - timedelta(days=15 * 365),
        _bsn(n) if bsn else None,
        "De Linde",
    )
    story = _story(rng, today, n, youth, "contact", "hv-buddy-1", weeks, None)
    patient = {
        "resourceType": "Patient",
        "id": youth.id,
        "active": True,
        "identifier": (
            [{"system": "http://fhir.nl/fhir/NamingSystem/bsn", "value": youth.bsn}] if youth.bsn else []
        )
        + [{"system": "https://hvol-fhir.org/fhir/sid/youth", "value": f"{youth.id}-{uuid.uuid4().hex[:6]}"}],
        "name": [{"family": youth.family, "given": [youth.given]}],
        "gender": "female",
        "birthDate": youth.birth_date.isoformat(),
    }
    journal = tuple(f"Communication/{e.id}" for e in story.journal)
    consented = tuple(
        f"Communication/{e.id}" for e in story.journal[:consent_entries] if e.kind == c.JOURNAL_BUDDY
    )
    if consented:
        recorded = story.consents[0].recorded + timedelta(days=2)
        story.consents.append(
            ConsentGrant(
                id=f"hv-disclosure-{n:02d}",
                identifier=str(uuid.uuid4()),
                kind=c.CONSENT_DISCLOSURE,
                patient=youth.ref,
                granted_by=youth.ref,
                recorded=recorded,
                start=recorded,
                entries=consented,
                recipient=f"Organization/{B_ORG['id']}",
                purpose="Mijn nieuwe begeleiders mogen dit lezen.",
            )
        )
    resources = [B_ORG, patient, *story_resources(story)]
    if seal:
        resources = list(sealed(resources, org.key_ring(), COORDINATOR))
    put_all(org.fhir_base, org.admin_token(), resources)
    return Synthetic(youth.ref, f"CarePlan/{story.traject.id}", journal, consented, len(resources))


def admin_get(org: Any, path: str, **params: Any) -> dict[str, Any]:
    resp = requests.get(
        f"{org.fhir_base}/{path}",
        params=params,
        headers={"Accept": "application/fhir+json", "Authorization": f"Bearer {org.admin_token()}"},
        timeout=60,
    )
    resp.raise_for_status()
    return resp.json()  # type: ignore[no-any-return]


def count(org: Any, resource_type: str, **params: Any) -> int:
    """Matches at ``org`` seen with the loader's token (sees everything), through every page."""
    bundle = admin_get(org, resource_type, _count=1000, **params)
    return len([e for e in bundle.get("entry", []) if e.get("search", {}).get("mode", "match") == "match"])


def start_two(workdir: Path, key: RSAKey) -> Iterator[list[Any]]:
    """Organisations A and B with demo data, the transfer client registered with ``key`` and the app (whose
    key file may then be ``key`` too) registered on a free port; stopped afterwards."""
    from sandbox.demo_app import APP_CLIENT_ID, app_clients
    from sandbox.hapi import free_port
    from sandbox.org import start_organisations

    port = free_port()
    app = [c for c in app_clients(port) if c["client_id"] == APP_CLIENT_ID]
    orgs = start_organisations(
        ["A", "B"],
        workdir,
        clients=[*app, client_registration(key)],
        demo_data=True,
        app_port=port,
        dev_token=True,
    )
    try:
        yield orgs
    finally:
        for org in orgs:
            org.stop()
