"""Synthetic bench data, written through the library's own mappers with the loader's token.

A two-year traject (about 300 contacts, 300 journal entries, 50 measurements) and a cohort of 200 trajects.
Every resource has a fixed id (PUT), so loading twice changes nothing.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta

import requests

from hvol_fhir.fhirjson import Json, dump
from hvol_fhir.mapping import careplan, careteam, communication, encounter, episodeofcare
from hvol_fhir.measurements import fhir as mf
from hvol_fhir.measurements.model import Measurement
from hvol_fhir.measurements.questionnaire import questionnaire
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import AMSTERDAM
from hvol_fhir.programme.model import CareTeam, CareTeamMember, Contact, JournalEntry, PhasePeriod, Traject

NS = uuid.UUID("0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")


def uid(*parts: object) -> str:
    return str(uuid.uuid5(NS, "/".join(map(str, parts))))


def patient(pid: str, n: int) -> Json:
    return {
        "resourceType": "Patient",
        "id": pid,
        "name": [{"text": f"Bench Jongere {n}", "family": "Bench", "given": [f"J{n}"]}],
        "gender": "female",
        "birthDate": "2011-03-01",
    }


def traject_resources(
    n: int, now: datetime, *, weeks: int, per_week: int, journal: bool, measurements: int
) -> list[Json]:
    rng = random.Random(n)
    pid = f"bench-youth-{n:03d}"
    pref = f"Patient/{pid}"
    start = (
        (now - timedelta(weeks=weeks))
        .astimezone(AMSTERDAM)
        .replace(hour=10, minute=0, second=0, microsecond=0)
    )
    intro = start + timedelta(weeks=3)
    contact_start = intro + timedelta(days=18)
    phases = (
        PhasePeriod(phase=c.PHASE_INCLUSION, start=start, end=intro, status="completed"),
        PhasePeriod(phase=c.PHASE_INTRODUCTION, start=intro, end=contact_start, status="completed"),
        PhasePeriod(phase=c.PHASE_CONTACT_PERIOD, start=contact_start),
    )
    team = CareTeam(
        id=f"bench-ct-{n:03d}",
        identifier=uid("ct", n),
        patient=pref,
        members=(
            CareTeamMember(member="Practitioner/bench-buddy", role=c.ROLE_BUDDY, skj_number="SKJ-9"),
            CareTeamMember(member="Practitioner/bench-coach", role=c.ROLE_COACH, skj_number="SKJ-8"),
        ),
    )
    tr = Traject(
        id=f"bench-tr-{n:03d}",
        identifier=uid("tr", n),
        patient=pref,
        created=start,
        status="active",
        phases=phases,
        care_team=f"CareTeam/{team.id}",
        intro_outcome=c.OUTCOME_CONTINUE,
        category="suspected",
    )
    out = [
        patient(pid, n),
        dump(careteam.to_fhir(team)),
        dump(careplan.to_fhir(tr)),
        dump(episodeofcare.to_fhir(tr, episode_id=f"bench-ep-{n:03d}")),
    ]
    day = contact_start
    k = 0
    while day < now - timedelta(days=1):
        for _ in range(per_week):
            s = (day + timedelta(days=rng.randrange(0, 6), hours=rng.randrange(4, 8))).replace(minute=0)
            if s >= now:
                continue
            k += 1
            kind = rng.choice(
                [c.CONTACT_FACE_TO_FACE, c.CONTACT_FACE_TO_FACE, c.CONTACT_VIDEO, c.CONTACT_PHONE]
            )
            contact = Contact(
                id=f"bench-c-{n:03d}-{k:04d}",
                identifier=uid("c", n, k),
                traject=f"CarePlan/{tr.id}",
                patient=pref,
                buddy="Practitioner/bench-buddy",
                start=s,
                end=s + timedelta(minutes=rng.choice([30, 45, 60, 90])),
                contact_type=kind,
            )
            out.append(dump(encounter.to_fhir(contact, episode=f"EpisodeOfCare/bench-ep-{n:03d}")))
            if journal:
                entry = JournalEntry(
                    id=f"bench-j-{n:03d}-{k:04d}",
                    identifier=uid("j", n, k),
                    traject=f"CarePlan/{tr.id}",
                    patient=pref,
                    author="Practitioner/bench-buddy",
                    kind=c.JOURNAL_BUDDY,
                    written_at=contact.end + timedelta(hours=1),
                    text="We liepen een rondje door het park.",
                    contact=f"Encounter/{contact.id}",
                )
                out.append(dump(communication.to_fhir(entry, care_team=f"CareTeam/{team.id}")))
        day += timedelta(weeks=1)
    for m in range(measurements):
        when = contact_start + timedelta(weeks=2 * m)
        if when >= now:
            break
        # Through the library's own mapper, so the benchmark data is what the app writes (and validates).
        measurement = Measurement(
            id=f"bench-qr-{n:03d}-{m:03d}",
            identifier=uid("measurement", n, m),
            traject=f"CarePlan/{tr.id}",
            patient=pref,
            authored=when,
            questionnaire=questionnaire().canonical,
            answers=tuple((item.link_id, rng.randrange(4, 11)) for item in questionnaire().items),
        )
        out.append(mf.response_to_fhir(measurement))
    return out


def people() -> list[Json]:
    return [
        {"resourceType": "Practitioner", "id": p, "name": [{"text": p}]}
        for p in ("bench-buddy", "bench-coach")
    ]


def load(fhir_base: str, token: str, resources: list[Json], size: int = 250) -> int:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/fhir+json",
        "Prefer": "return=minimal",
    }
    written = 0
    for i in range(0, len(resources), size):
        chunk = resources[i : i + size]
        entries = [
            {
                "fullUrl": f"{fhir_base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in chunk
        ]
        resp = requests.post(
            fhir_base,
            data=json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}),
            headers=headers,
            timeout=600,
        )
        if resp.status_code != 200:
            errors = [
                i.get("diagnostics")
                for i in resp.json().get("issue", [])
                if i.get("severity") in ("error", "fatal")
            ]
            raise RuntimeError(f"load failed {resp.status_code}: {errors[:3]}")
        written += len(chunk)
    return written
