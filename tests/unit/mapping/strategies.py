"""Hypothesis strategies for valid domain objects (codes drawn from mappings/)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import strategies as st

from hvol_fhir import terminology
from hvol_fhir.mapping.auditevent import ACTIONS, OUTCOMES, JournalAccess
from hvol_fhir.programme import codes as c
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

ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))]
)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=ZONES)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9\-.]{0,15}", fullmatch=True)
uuids = st.uuids().map(str)


def refs(*types: str) -> st.SearchStrategy[str]:
    return st.builds(lambda t, i: f"{t}/{i}", st.sampled_from(types), ids)


def code(cs_id: str) -> st.SearchStrategy[str]:
    return st.sampled_from(terminology.codes(cs_id))


# FHIR strings: no control characters but tab/CR/LF; the domain wants some non-space text.
texts = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters=[chr(i) for i in range(32) if chr(i) not in "\t\r\n"] + ["\x7f"],
    ),
    min_size=1,
    max_size=300,
).filter(lambda s: s.strip())


@st.composite
def phases(draw: st.DrawFn) -> tuple[PhasePeriod, ...]:
    n = draw(st.integers(0, 5))
    start = draw(moments)
    out = []
    for i in range(n):
        length = draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=120)))
        last = i == n - 1
        end = None if last and draw(st.booleans()) else start + length
        out.append(
            PhasePeriod(
                phase=draw(code(c.TRAJECT_PHASE)),
                start=start,
                end=end,
                status=draw(st.sampled_from(sorted(c.ACTIVITY_STATUS))),
            )
        )
        if end is not None:
            start = end
    return tuple(out)


@st.composite
def trajects(draw: st.DrawFn) -> Traject:
    ph = draw(phases())
    has = {p.phase for p in ph}
    return Traject(
        identifier=draw(uuids),
        patient=draw(refs("Patient")),
        created=draw(moments),
        status=draw(st.sampled_from(sorted(c.CAREPLAN_STATUS))),
        phases=ph,
        category=draw(st.none() | code(c.VICTIM_CATEGORY)),
        care_team=draw(st.none() | refs("CareTeam")),
        replaces=draw(st.none() | refs("CarePlan")),
        intro_outcome=draw(st.none() | code(c.INTRODUCTION_OUTCOME)) if c.PHASE_INTRODUCTION in has else None,
        closure_reason=draw(st.none() | code(c.CLOSURE_REASON)) if c.PHASE_CLOSURE in has else None,
        id=draw(st.none() | ids),
    )


@st.composite
def contacts(draw: st.DrawFn) -> Contact:
    start = draw(moments)
    return Contact(
        identifier=draw(uuids),
        traject=draw(refs("CarePlan")),
        patient=draw(refs("Patient")),
        buddy=draw(refs("Practitioner", "PractitionerRole", "RelatedPerson")),
        start=start,
        end=start + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=10))),
        contact_type=draw(code(c.CONTACT_TYPE)),
        present=tuple(draw(st.lists(refs("RelatedPerson", "Practitioner"), max_size=3, unique=True))),
        location=draw(st.none() | texts),
        status=draw(st.sampled_from(sorted(c.ENCOUNTER_STATUS))),
        id=draw(st.none() | ids),
    )


journal_entries = st.builds(
    JournalEntry,
    identifier=uuids,
    traject=refs("CarePlan"),
    patient=refs("Patient"),
    author=refs("Practitioner", "PractitionerRole"),
    kind=code(c.JOURNAL_KIND),
    written_at=moments,
    text=texts,
    contact=st.none() | refs("Encounter"),
    id=st.none() | ids,
)


@st.composite
def members(draw: st.DrawFn) -> CareTeamMember:
    start = draw(st.none() | moments)
    end = (
        draw(st.none() | moments) if start is None else draw(st.none() | st.just(start + timedelta(days=30)))
    )
    return CareTeamMember(
        member=draw(refs("Practitioner", "PractitionerRole", "RelatedPerson")),
        role=draw(code(c.CARETEAM_ROLE)),
        skj_number=draw(st.none() | st.from_regex(r"[0-9]{9}", fullmatch=True)),
        responsible_professional=draw(st.none() | refs("Practitioner")),
        start=start,
        end=end,
    )


@st.composite
def care_teams(draw: st.DrawFn) -> CareTeam:
    found = draw(st.lists(members(), max_size=5))
    # One entry per person and role: the FHIR participant key.
    unique = list({(m.member, m.role): m for m in found}.values())
    return CareTeam(
        identifier=draw(uuids),
        patient=draw(refs("Patient")),
        members=tuple(unique),
        traject=draw(st.none() | refs("CarePlan")),
        id=draw(st.none() | ids),
    )


@st.composite
def consents(draw: st.DrawFn) -> ConsentGrant:
    kind = draw(st.sampled_from(sorted(c.CONSENT_KINDS)))
    disclosure = kind == c.CONSENT_DISCLOSURE
    start = draw(st.none() | moments)
    return ConsentGrant(
        identifier=draw(uuids),
        kind=kind,
        patient=draw(refs("Patient")),
        granted_by=draw(refs("Patient", "RelatedPerson")),
        recorded=draw(moments),
        status=draw(st.sampled_from(sorted(c.CONSENT_STATUS))),
        start=start,
        end=None if start is None else draw(st.none() | st.just(start + timedelta(days=14))),
        entries=tuple(draw(st.lists(refs("Communication"), min_size=1 if disclosure else 0, max_size=3))),
        recipient=draw(refs("RelatedPerson", "Practitioner") if disclosure else refs("CareTeam")),
        purpose=draw(texts if disclosure else st.none() | texts),
        id=draw(st.none() | ids),
    )


tasks = st.builds(
    Task,
    identifier=uuids,
    kind=code(c.TASK_KIND),
    status=st.sampled_from(sorted(c.TASK_STATUS)),
    due=st.none() | days,
    owner=st.none() | refs("Practitioner", "PractitionerRole"),
    focus=st.none() | refs("CarePlan"),
    patient=st.none() | refs("Patient"),
    authored=st.none() | moments,
    id=st.none() | ids,
)

accesses = st.builds(
    JournalAccess,
    interaction=st.sampled_from(sorted(ACTIONS)),
    recorded=moments,
    user=refs("Practitioner", "PractitionerRole"),
    purpose=st.sampled_from(["COC", "BTG", "THREAT", "PATRQT"]),
    patient=refs("Patient"),
    entities=st.lists(refs("Communication"), max_size=3).map(tuple),
    outcome=st.sampled_from(sorted(OUTCOMES)),
    id=st.none() | ids,
)


@st.composite
def assessments(draw: st.DrawFn) -> InclusionAssessment:
    assessed = draw(days)
    return InclusionAssessment(
        identifier=draw(uuids),
        traject=draw(refs("CarePlan")),
        patient=draw(refs("Patient")),
        assessor=draw(refs("Practitioner", "PractitionerRole")),
        assessed_on=assessed,
        birth_date=assessed - timedelta(days=draw(st.integers(0, 20 * 366))),
        category=draw(code(c.VICTIM_CATEGORY)),
        contra_indications=tuple(draw(st.lists(code(c.CONTRA_INDICATION), max_size=3))),
        criteria_met=draw(st.booleans()),
        id=draw(st.none() | ids),
    )
