"""The demo organisation's people and trajects, as domain objects, generated from a fixed seed.

One provider with a coordinator, two coaches, four buddies, a behavioural scientist and three regular staff
members, and twelve synthetic youths spread over every phase: waiting list, inclusion, introduction, months of
contact period (contacts, journal and coaching-journal entries), closed for different reasons, a restart, and
one youth turning 18 within three months. All names and texts are invented; BSNs come from the 99999xxxx test
range. `today` anchors the story so that the demo always looks current; the same seed and the same `today`
give the same data.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Final

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import AMSTERDAM
from hvol_fhir.programme.model import (
    CareTeam,
    CareTeamMember,
    ConsentGrant,
    Contact,
    InclusionAssessment,
    JournalEntry,
    PhasePeriod,
    Task,
    Traject,
)
from sandbox.demo_people import BUDDY_COACH, GROUPS, STAFF, Person, Scenario, Story, Youth
from sandbox.demo_people import COACHING_LINES as _COACHING_LINES
from sandbox.demo_people import FAMILY_NAMES as _FAMILY
from sandbox.demo_people import GIVEN_NAMES as _GIVEN
from sandbox.demo_people import JOURNAL_LINES as _JOURNAL_LINES

__all__ = ["BUDDY_COACH", "GROUPS", "STAFF", "Person", "Scenario", "Story", "Youth", "build"]

SEED: Final = 20261130
_NS: Final = uuid.UUID("6f1f3d1e-6a4b-4a43-9a55-2f1c8a2b7d10")


def _uid(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def _bsn(rng: random.Random) -> str:
    """A nine-digit number in the test range 99999xxxx that passes the 11-test."""
    while True:
        digits = [9, 9, 9, 9, 9] + [rng.randrange(10) for _ in range(4)]
        total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
        if total % 11 == 0:
            return "".join(map(str, digits))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM)


def build(today: date | None = None, seed: int = SEED) -> Scenario:
    today = today or date.today()
    rng = random.Random(seed)
    youths = _youths(rng, today)
    plans = [
        # (kind, buddy, weeks since the traject was opened)
        ("waiting", None, 5),
        ("waiting", None, 3),
        ("inclusion", None, 5),
        ("introduction", "hv-buddy-1", 9),
        ("introduction", "hv-buddy-3", 10),
        ("contact", "hv-buddy-1", 30),
        ("contact", "hv-buddy-2", 22),
        ("contact", "hv-buddy-3", 40),
        ("contact", "hv-buddy-4", 16),
        ("closed", "hv-buddy-2", 60),
        ("closed", "hv-buddy-4", 50),
        ("closed", "hv-buddy-3", 35),
    ]
    closure_reasons = iter(["youth-no-longer-needed", "abrupt-ran-away", "buddy-no-click"])
    stories: list[Story] = []
    for n, (youth, (kind, buddy, weeks)) in enumerate(zip(youths, plans, strict=True), start=1):
        story = _story(
            rng, today, n, youth, kind, buddy, weeks, next(closure_reasons) if kind == "closed" else None
        )
        stories.append(story)
    # P-RESTART: the youth of traject 6 stopped once before and restarted; the old traject is closed.
    stories.append(_earlier_closed_traject(today, stories[5]))
    stories[5].traject = replace(stories[5].traject, replaces="CarePlan/hv-traject-06a")
    return Scenario(
        today=today,
        organisation_id="hv-org",
        organisation_name="Jeugdzorg De Horizon (demo)",
        staff=list(STAFF),
        youths=youths,
        stories=stories,
    )


def _youths(rng: random.Random, today: date) -> list[Youth]:
    youths = []
    for i in range(12):
        if i == 7:
            # Turns 18 within three months: P-18 is due now.
            birth = date(today.year - 18, today.month, 1) + timedelta(days=62)
        else:
            birth = today - timedelta(days=rng.randrange(13 * 365 + 40, 17 * 365 + 200))
        group = list(GROUPS)[i % 2]
        bsn = _bsn(rng) if i % 4 != 3 else None  # some youths have no BSN on record
        youths.append(Youth(f"hv-youth-{i + 1:02d}", _GIVEN[i], _FAMILY[i], birth, bsn, group))
    return youths


def _story(
    rng: random.Random,
    today: date,
    n: int,
    youth: Youth,
    kind: str,
    buddy: str | None,
    weeks: int,
    closure_reason: str | None,
) -> Story:
    opened = _at(today - timedelta(weeks=weeks), 10)
    traject_ref = f"CarePlan/hv-traject-{n:02d}"
    careteam_ref = f"CareTeam/hv-careteam-{n:02d}"
    phases: list[PhasePeriod] = []
    incl_start = opened
    assessed = incl_start + timedelta(days=10)
    if kind in ("inclusion", "waiting"):  # still being included, or assessed and on the waiting list
        phases.append(PhasePeriod(phase=c.PHASE_INCLUSION, start=incl_start))
    else:
        phases.append(
            PhasePeriod(
                phase=c.PHASE_INCLUSION,
                start=incl_start,
                end=incl_start + timedelta(weeks=4),
                status="completed",
            )
        )
    intro_start = incl_start + timedelta(weeks=4)
    contact_start = intro_start + timedelta(days=18)
    if kind in ("introduction", "contact", "closed"):
        intro_end = None if kind == "introduction" else contact_start
        phases.append(
            PhasePeriod(
                phase=c.PHASE_INTRODUCTION,
                start=intro_start,
                end=intro_end,
                status="in-progress" if intro_end is None else "completed",
            )
        )
    end_of_contact: datetime | None = None
    if kind in ("contact", "closed"):
        if kind == "closed":
            end_of_contact = _at(today - timedelta(weeks=max(2, weeks // 4)), 12)
        phases.append(
            PhasePeriod(
                phase=c.PHASE_CONTACT_PERIOD,
                start=contact_start,
                end=end_of_contact,
                status="completed" if end_of_contact else "in-progress",
            )
        )
    if kind == "closed":
        assert end_of_contact is not None
        phases.append(
            PhasePeriod(phase=c.PHASE_CLOSURE, start=end_of_contact, end=end_of_contact, status="completed")
        )
    status = "completed" if kind == "closed" else ("draft" if kind in ("waiting", "inclusion") else "active")
    traject = Traject(
        id=f"hv-traject-{n:02d}",
        identifier=_uid("traject", n),
        patient=youth.ref,
        created=opened,
        status=status,
        phases=tuple(phases),
        category=rng.choice(["legal", "factual", "suspected", "potential"]),
        care_team=careteam_ref,
        intro_outcome=c.OUTCOME_CONTINUE if kind in ("contact", "closed") else None,
        closure_reason=closure_reason,
    )
    members = [
        CareTeamMember(
            member="Practitioner/hv-coordinator", role=c.ROLE_COORDINATOR, skj_number="SKJ-100001"
        ),
        CareTeamMember(
            member="Practitioner/hv-behavioural-scientist",
            role=c.ROLE_BEHAVIOURAL_SCIENTIST,
            skj_number="SKJ-100006",
        ),
        CareTeamMember(member=f"Practitioner/{GROUPS[youth.group]}", role=c.ROLE_MENTOR),
    ]
    if buddy:
        person = next(p for p in STAFF if p.id == buddy)
        members.append(
            CareTeamMember(
                member=person.ref,
                role=c.ROLE_BUDDY,
                skj_number=person.skj,
                start=intro_start,
                end=end_of_contact,
                # P-RESP: without SKJ registration the behavioural scientist is responsible.
                responsible_professional=None if person.skj else "Practitioner/hv-behavioural-scientist",
            )
        )
        members.append(
            CareTeamMember(
                member=f"Practitioner/{BUDDY_COACH[buddy]}",
                role=c.ROLE_COACH,
                skj_number=next(p.skj for p in STAFF if p.id == BUDDY_COACH[buddy]),
                start=intro_start,
                end=end_of_contact,
            )
        )
    care_team = CareTeam(
        id=f"hv-careteam-{n:02d}",
        identifier=_uid("careteam", n),
        patient=youth.ref,
        members=tuple(members),
        traject=traject_ref,
    )
    story = Story(youth=youth, traject=traject, care_team=care_team)
    if kind != "inclusion":
        story.assessment = InclusionAssessment(
            id=f"hv-assessment-{n:02d}",
            identifier=_uid("assessment", n),
            traject=traject_ref,
            patient=youth.ref,
            assessor="Practitioner/hv-behavioural-scientist",
            assessed_on=assessed.date(),
            birth_date=youth.birth_date,
            category=traject.category or "suspected",
            criteria_met=True,
        )
        story.consents.append(
            ConsentGrant(
                id=f"hv-consent-{n:02d}",
                identifier=_uid("consent", n),
                kind=c.CONSENT_PARTICIPATION,
                patient=youth.ref,
                granted_by=youth.ref,
                recorded=assessed + timedelta(days=1),
                start=assessed + timedelta(days=1),
                status="inactive" if kind == "closed" else "active",
                recipient=careteam_ref,
            )
        )
    if kind == "waiting":
        story.tasks.append(
            Task(
                id=f"hv-task-wait-{n:02d}",
                identifier=_uid("task-wait", n),
                kind=c.TASK_WAITING_LIST,
                status="requested",
                owner="Practitioner/hv-coordinator",
                focus=traject_ref,
                patient=youth.ref,
                authored=assessed + timedelta(days=2),
            )
        )
    if buddy:
        last = end_of_contact or _at(today, 0)
        _contacts(rng, story, n, buddy, intro_start, contact_start, last, kind == "introduction")
    if youth.id == "hv-youth-08":
        birthday18 = date(youth.birth_date.year + 18, youth.birth_date.month, youth.birth_date.day)
        story.tasks.append(
            Task(
                id=f"hv-task-18-{n:02d}",
                identifier=_uid("task-18", n),
                kind=c.TASK_BIRTHDAY_18,
                status="requested",
                due=birthday18 - timedelta(days=91),
                owner=f"Practitioner/{buddy}",
                focus=traject_ref,
                patient=youth.ref,
            )
        )
    return story


def _contacts(
    rng: random.Random,
    story: Story,
    n: int,
    buddy: str,
    intro_start: datetime,
    contact_start: datetime,
    last: datetime,
    only_intro: bool,
) -> None:
    traject_ref = f"CarePlan/{story.traject.id}"
    moments: list[tuple[datetime, int, str]] = []
    # Introduction: three face-to-face contacts (P-INTRO); an open introduction has had two so far.
    for offset in (1, 8, 15)[: 2 if only_intro else 3]:
        moments.append((_at(intro_start.date() + timedelta(days=offset), 16), 60, c.CONTACT_FACE_TO_FACE))
    if not only_intro:
        week = contact_start.date() - timedelta(days=contact_start.date().weekday())
        while _at(week, 0) < last - timedelta(days=2):
            skip_f2f = rng.random() < 0.15  # some weeks without face-to-face contact (P-F2F-WEEK alert)
            for _ in range(rng.choice([1, 2, 2, 3])):
                day = week + timedelta(days=rng.randrange(0, 6))
                start = _at(day, rng.randrange(14, 19), rng.choice([0, 15, 30]))
                kind = (
                    rng.choice([c.CONTACT_VIDEO, c.CONTACT_PHONE, c.CONTACT_MESSAGING])
                    if skip_f2f
                    else rng.choice([c.CONTACT_FACE_TO_FACE] * 3 + [c.CONTACT_VIDEO, c.CONTACT_PHONE])
                )
                minutes = (
                    rng.choice([20, 30, 45, 60, 75, 90, 120])
                    if kind == c.CONTACT_FACE_TO_FACE
                    else rng.choice([10, 15, 20, 30])
                )
                if start + timedelta(minutes=minutes) < last:
                    moments.append((start, minutes, kind))
            week += timedelta(weeks=1)
    moments.sort()
    coach = BUDDY_COACH[buddy]
    for k, (start, minutes, kind) in enumerate(moments, start=1):
        cid = f"hv-contact-{n:02d}-{k:03d}"
        contact = Contact(
            id=cid,
            identifier=_uid("contact", n, k),
            traject=traject_ref,
            patient=story.youth.ref,
            buddy=f"Practitioner/{buddy}",
            start=start,
            end=start + timedelta(minutes=minutes),
            contact_type=kind,
        )
        story.contacts.append(contact)
        text = " ".join(rng.sample(_JOURNAL_LINES, 3))
        story.journal.append(
            JournalEntry(
                id=f"hv-journal-{n:02d}-{k:03d}",
                identifier=_uid("journal", n, k),
                traject=traject_ref,
                patient=story.youth.ref,
                author=f"Practitioner/{buddy}",
                kind=c.JOURNAL_BUDDY,
                written_at=contact.end + timedelta(minutes=rng.randrange(20, 180)),
                text=text,
                contact=f"Encounter/{cid}",
            )
        )
        if k % 4 == 0:
            story.journal.append(
                JournalEntry(
                    id=f"hv-coaching-{n:02d}-{k:03d}",
                    identifier=_uid("coaching", n, k),
                    traject=traject_ref,
                    patient=story.youth.ref,
                    author=f"Practitioner/{coach}",
                    kind=c.JOURNAL_COACHING,
                    written_at=contact.end + timedelta(days=1),
                    text=rng.choice(_COACHING_LINES),
                )
            )


def _earlier_closed_traject(today: date, current: Story) -> Story:
    """The first, closed traject of a youth who restarted (P-RESTART)."""
    opened = _at(today - timedelta(weeks=70), 10)
    ended = _at(today - timedelta(weeks=45), 12)
    phases = (
        PhasePeriod(
            phase=c.PHASE_INCLUSION, start=opened, end=opened + timedelta(weeks=3), status="completed"
        ),
        PhasePeriod(
            phase=c.PHASE_INTRODUCTION, start=opened + timedelta(weeks=3), end=ended, status="completed"
        ),
        PhasePeriod(phase=c.PHASE_CLOSURE, start=ended, end=ended, status="completed"),
    )
    old = Traject(
        id="hv-traject-06a",
        identifier=_uid("traject", "06a"),
        patient=current.youth.ref,
        created=opened,
        status="completed",
        phases=phases,
        category=current.traject.category,
        care_team=current.traject.care_team,
        intro_outcome=c.OUTCOME_STOP,
        closure_reason="youth-no-click",
    )
    return Story(youth=current.youth, traject=old, care_team=current.care_team)
