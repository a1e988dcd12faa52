"""Who may do what with the journal (P-JOURNAL-READERS, P-COACH-JOURNAL, P-SHARE-CONSENT, P-DANGER).

Pure decisions from the user's programme role on this traject; the app asks before every journal read or
write and never reads the journal on behalf of anyone else (design.md, privacy layer 1). Roles are the
careteam-role codes plus "staff" (everybody else; a mentor is regular staff for the journal).
"""

from __future__ import annotations

from typing import Final

from hvol_fhir.programme import codes as c

JOURNAL_READERS: Final = frozenset({c.ROLE_BUDDY, c.ROLE_COACH, c.ROLE_COORDINATOR})
# Who writes which journal: the buddy her contact journal, the coach the coaching journal.
JOURNAL_WRITERS: Final = {
    c.JOURNAL_BUDDY: frozenset({c.ROLE_BUDDY}),
    c.JOURNAL_COACHING: frozenset({c.ROLE_COACH}),
}
# P-SHARE-CONSENT: disclosure under a recorded grant; buddy and coordinator record it.
DISCLOSERS: Final = frozenset({c.ROLE_BUDDY, c.ROLE_COORDINATOR})
# P-DANGER / break-the-glass: buddies escalate; the override itself is the coordinator's
# (security-labels §4 C).
OVERRIDERS: Final = frozenset({c.ROLE_COORDINATOR, c.ROLE_BUDDY})
# v3-ActReason purpose of use per kind of access (security-labels.md §2).
PURPOSE_ROUTINE: Final = "COC"
PURPOSE_DANGER: Final = "THREAT"
SHARE_PURPOSES: Final = ("SUPNWK", "FAMRQT", "PATRQT")
SHARE_PURPOSES_NL: Final = {
    "SUPNWK": "Met iemand uit het netwerk (bijvoorbeeld de mentor)",
    "FAMRQT": "Met familie (bijvoorbeeld een ouder)",
    "PATRQT": "Op eigen verzoek van de jongere",
}


# Issue 12: which sealed kinds (hvol_fhir.sealing.fields) each role's app session opens. Everybody else
# (mentor, regular staff) opens nothing: the card needs only what stays in the clear.
SEALED_KINDS: Final[dict[str, frozenset[str]]] = {
    c.ROLE_COORDINATOR: frozenset(
        {
            "journal",
            "contact",
            "assessment",
            "traject",
            "disclosure",
            "availability",
            "acknowledgement",
            "escalation",
        }
    ),
    # The coordinator's notes on open items (issue 15) are for the journal's readers: buddy and coach too.
    c.ROLE_BUDDY: frozenset(
        {"journal", "contact", "availability", "disclosure", "acknowledgement", "escalation"}
    ),
    c.ROLE_COACH: frozenset({"journal", "contact", "availability", "acknowledgement", "escalation"}),
    # Escalations: the app shows her only those she was involved in (rules.escalation.visible_to).
    c.ROLE_BEHAVIOURAL_SCIENTIST: frozenset({"assessment", "traject", "escalation"}),
}


def sealed_kinds(role: str) -> frozenset[str]:
    return SEALED_KINDS.get(role, frozenset())


def may_sign_membership(role: str) -> bool:
    """Only the coordinator makes or changes who belongs to the programme (the app signs it as her act)."""
    return role == c.ROLE_COORDINATOR


def may_read_journal(role: str) -> bool:
    return role in JOURNAL_READERS


def may_write_journal(role: str, kind: str) -> bool:
    return role in JOURNAL_WRITERS.get(kind, frozenset())


def may_disclose(role: str) -> bool:
    return role in DISCLOSERS


def may_override(role: str) -> bool:
    return role in OVERRIDERS


def may_manage_traject(role: str) -> bool:
    return role == c.ROLE_COORDINATOR


def may_assess(role: str) -> bool:
    """P-ASSESS (issue 14): the behavioural scientist only; the coordinator records consent, never the
    assessment."""
    return role == c.ROLE_BEHAVIOURAL_SCIENTIST


def may_register_contacts(role: str) -> bool:
    return role == c.ROLE_BUDDY
