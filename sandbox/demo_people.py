"""The demo's cast: its records (person, youth, story, scenario), the organisation's staff, and the invented
names and sentences the demo scenario draws from.

All names and texts are invented (no real people, no real stories); :mod:`sandbox.demo_scenario` builds the
youths and their trajects from these with a fixed seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import (
    CareTeam,
    ConsentGrant,
    Contact,
    InclusionAssessment,
    JournalEntry,
    Task,
    Traject,
)


@dataclass(frozen=True)
class Person:
    id: str  # logical id, e.g. "hv-buddy-1"
    given: str
    family: str
    role: str | None  # careteam-role code; None = regular staff without a programme role
    role_label: str  # Dutch label for the launcher
    skj: str | None = None
    phone: str | None = None
    gender: str = "female"

    @property
    def ref(self) -> str:
        return f"Practitioner/{self.id}"

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"


@dataclass(frozen=True)
class Youth:
    id: str
    given: str
    family: str
    birth_date: date
    bsn: str | None
    group: str  # the living group ("groep") she lives on

    @property
    def ref(self) -> str:
        return f"Patient/{self.id}"


@dataclass
class Story:
    """Everything the demo holds about one traject."""

    youth: Youth
    traject: Traject
    care_team: CareTeam
    assessment: InclusionAssessment | None = None
    consents: list[ConsentGrant] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    journal: list[JournalEntry] = field(default_factory=list)


@dataclass
class Scenario:
    today: date
    organisation_id: str
    organisation_name: str
    staff: list[Person]
    youths: list[Youth]
    stories: list[Story]

    def person(self, pid: str) -> Person:
        return next(p for p in self.staff if p.id == pid)


STAFF: Final = [
    Person(
        "hv-coordinator",
        "Marieke",
        "de Vries",
        c.ROLE_COORDINATOR,
        "coördinator",
        skj="SKJ-100001",
        phone="020-5550101",
    ),
    Person("hv-coach-1", "Esther", "Bakker", c.ROLE_COACH, "coach", skj="SKJ-100002"),
    Person("hv-coach-2", "Nadia", "El Amrani", c.ROLE_COACH, "coach", skj="SKJ-100003"),
    Person(
        "hv-buddy-1",
        "Sanne",
        "Visser",
        c.ROLE_BUDDY,
        "ervaringsmaatje",
        skj="SKJ-100004",
        phone="06-55500101",
    ),
    Person("hv-buddy-2", "Priya", "Ramdin", c.ROLE_BUDDY, "ervaringsmaatje", phone="06-55500102"),
    Person(
        "hv-buddy-3",
        "Lotte",
        "Jansen",
        c.ROLE_BUDDY,
        "ervaringsmaatje",
        skj="SKJ-100005",
        phone="06-55500103",
    ),
    Person("hv-buddy-4", "Jamila", "Haddou", c.ROLE_BUDDY, "ervaringsmaatje", phone="06-55500104"),
    Person(
        "hv-behavioural-scientist",
        "Ruben",
        "Smit",
        c.ROLE_BEHAVIOURAL_SCIENTIST,
        "gedragswetenschapper",
        skj="SKJ-100006",
        gender="male",
    ),
    Person("hv-mentor-1", "Kees", "Mulder", c.ROLE_MENTOR, "mentor (groepsleiding)", gender="male"),
    Person("hv-mentor-2", "Ilse", "Dekker", c.ROLE_MENTOR, "mentor (groepsleiding)"),
    Person("hv-staff-1", "Tom", "Peeters", None, "groepsleider (overig personeel)", gender="male"),
]
BUDDY_COACH: Final = {
    "hv-buddy-1": "hv-coach-1",
    "hv-buddy-2": "hv-coach-1",
    "hv-buddy-3": "hv-coach-2",
    "hv-buddy-4": "hv-coach-2",
}
GROUPS: Final = {"De Linde": "hv-mentor-1", "De Wilg": "hv-mentor-2"}

GIVEN_NAMES: Final = [
    "Noa",
    "Yara",
    "Lina",
    "Fenna",
    "Amira",
    "Sophie",
    "Isa",
    "Zoë",
    "Maud",
    "Elif",
    "Nina",
    "Roos",
]
FAMILY_NAMES: Final = [
    "Verbeek",
    "Hoekstra",
    "Kaya",
    "van Dam",
    "Bos",
    "Meijer",
    "Yilmaz",
    "de Graaf",
    "Kok",
    "Postma",
    "Vos",
    "Brouwer",
]

# Invented, neutral journal sentences in the style the guide asks for (§4.9): observations, concrete,
# time and place. No real stories.
JOURNAL_LINES: Final = [
    "We spraken af op het bankje aan het water bij de ingang van het park.",
    "Ik vroeg hoe de week op school was gegaan. Ze vertelde dat ze twee toetsen had gehaald.",
    "Ze lachte toen ik vertelde over mijn eigen eerste baan.",
    "We hebben samen boodschappen gedaan voor het kookavondje op de groep.",
    "Ik vroeg wat ze dit weekend gaat doen. Ze gaat zaterdag naar haar tante.",
    "Ze vertelde dat ze drie nachten slecht had geslapen. Ik vroeg of ze dat met haar mentor had besproken.",
    "We hebben een rondje gelopen en over muziek gepraat.",
    "Ik heb uitgelegd wanneer ik bereikbaar ben: maandag tot en met vrijdag tussen 9 en 17 uur.",
    "Ze vroeg of ik het journaal aan haar mentor laat lezen. Ik heb uitgelegd dat dat niet gebeurt.",
    "Ze stuurde een bericht dat ze later kwam; we begonnen om kwart over vier.",
]
COACHING_LINES: Final = [
    "Nagesproken na het contact van vandaag. Afgesproken dat het maatje volgende week het thema school "
    "opnieuw aansnijdt.",
    "Het maatje gaf aan dat het gesprek zwaar was. Samen besproken wat ze nodig heeft na een contact.",
    "Besproken hoe het maatje haar grenzen aangeeft rond bereikbaarheid in het weekend.",
]
