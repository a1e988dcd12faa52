"""The I/O shell of a transfer: read at A, plan, check and send to B, record at A.

::

    b_client = FhirClient(b_base, b_backend, on_unauthorized=b_backend.invalidate)
    service = TransferService(source=FhirClient(a_base, a_auth), target=b_client,
                              source_name="De Horizon", target_name="Het Anker")
    plan = service.preview(service.request_for(careplan, coordinator, reason))  # what goes, what stays
    result = service.send(plan)  # or TargetRefused / TargetUnreachable / AmbiguousAtTarget / RecordPending

Order and guarantees (issue 6):

1. *Check at B* (one batch of searches): two patients or two practitioners matching one identifier stop the
   transfer before anything is written anywhere (AmbiguousAtTarget).
2. *Send* the ONE transaction Bundle. A transaction is all or nothing, so a refusal (422, 412, ...) leaves B
   unchanged, and A is not touched (TargetRefused, with B's OperationOutcome in plain Dutch). Every entry is
   conditional, so the client retries it after a lost answer; if B stays silent, TargetUnreachable says
   sending again is safe, and never that nothing changed at B when a send may have reached B
   (``EhrDown.maybe_sent``: B may have stored it and lost the answer).
3. *Record at A* only after B answered: one repeatable transaction (:mod:`.record`). If it fails, A is read
   once more (A may have stored it and lost the answer); if the record is not there, B already holds the
   traject and RecordPending says so, and running the same transfer again creates nothing at B (every
   entry matches) and completes the record at A. A repeat that finds the record at A changes nothing.

A 401 from either server triggers the clients' ``on_unauthorized`` once (a Backend Services client fetches a
new token), so a token that expires half-way does not break the transfer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hvol_fhir.fhirjson import Json

from ..ehr import FhirClient, paging
from ..ehr import bundle as bundles
from ..ehr.errors import (
    AmbiguousMatch,
    EhrDown,
    EhrError,
    EhrForbidden,
    SessionExpired,
    VersionConflict,
)
from . import identity as ids
from . import record
from .collect import read_traject
from .delivery import PLAINTEXT, Delivery
from .errors import AmbiguousAtTarget, RecordPending, TargetRefused, TargetUnreachable
from .model import TransferPlan, TransferRequest, TransferResult
from .plan import build_plan


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _search_url(resource_type: str, condition: str) -> str:
    return f"{resource_type}?{condition}&_count=2"


@dataclass
class TransferService:
    source: FhirClient
    target: FhirClient
    source_name: str
    target_name: str
    source_identifier: Json | None = None
    clock: Callable[[], datetime] = _utc_now
    # How confidential content goes to B (delivery.py). ``source`` must read through A's codec (all kinds):
    # the plan is built from plaintext, and anything still sealed with A's key stops the transfer.
    delivery: Delivery = PLAINTEXT

    # --- preview ------------------------------------------------------------------------------------------

    def preview(self, request: TransferRequest) -> TransferPlan:
        """Read the traject at A and plan; nothing is sent. Errors: NoUsableIdentifier, JournalWithoutConsent,
        NotATraject, and A's EhrErrors (A unreachable, traject not found)."""
        snapshot = read_traject(
            self.source,
            request.careplan,
            source_name=self.source_name,
            coordinator=request.coordinator,
            source_identifier=self.source_identifier,
        )
        return build_plan(snapshot, request, self.clock(), self.delivery)

    def request_for(self, careplan: str, coordinator: str, reason: str, **kw: Any) -> TransferRequest:
        return TransferRequest(
            careplan=careplan if "/" in careplan else f"CarePlan/{careplan}",
            target=self.target.base_url,
            target_name=self.target_name,
            coordinator=coordinator,
            reason=reason,
            **kw,
        )

    # --- sending ------------------------------------------------------------------------------------------

    def check_target(self, plan: TransferPlan) -> bool:
        """Stop on ambiguous matches at B; True when B already holds this traject (a repeat)."""
        patient = _search_url("Patient", ids.condition(plan.patient_match))
        traject = _search_url("CarePlan", ids.condition(plan.traject_identifier))
        people = [_search_url("Practitioner", ref.split("?", 1)[1]) for ref in plan.practitioner_matches]
        request = bundles.batch(bundles.read_entry(u) for u in [patient, traject, *people])
        answer = self._at_target(lambda: self.target.batch(request))
        results = bundles.results(answer, request)
        counts = [len(list(paging.matches(r.resource))) if r.ok and r.resource else 0 for r in results]
        if counts and counts[0] > 1:
            raise AmbiguousAtTarget(
                f"Bij {self.target_name} staan meerdere jongeren met hetzelfde {plan.patient_match_kind}. "
                f"Er is niets verstuurd en hier is niets veranderd. Vraag {self.target_name} dit eerst recht "
                "te zetten.",
                field="Patient.identifier",
            )
        if any(c > 1 for c in counts[2:]):
            raise AmbiguousAtTarget(
                f"Bij {self.target_name} staan meerdere zorgverleners met hetzelfde kenmerk. Er is niets "
                f"verstuurd en hier is niets veranderd. Vraag {self.target_name} dit eerst recht te zetten.",
                field="Practitioner.identifier",
            )
        return len(counts) > 1 and counts[1] == 1

    def send(self, plan: TransferPlan) -> TransferResult:
        self.check_target(plan)
        answer = self._at_target(lambda: self.target.transaction(plan.bundle), writes=True)
        results = bundles.results(answer, plan.bundle)
        created = sum(1 for r in results if r.created)
        careplan_ref = next(
            (
                r.reference
                for r, e in zip(results, plan.bundle["entry"], strict=False)
                if e["request"]["url"] == "CarePlan"
            ),
            None,
        )
        url = f"{self.target.base_url}/{careplan_ref}" if careplan_ref else None
        done, already = self.record_at_source(plan, careplan_ref, url)
        return TransferResult(
            key=plan.key,
            mode=plan.request.mode,
            target_name=self.target_name,
            target_careplan=careplan_ref,
            target_careplan_url=url,
            created=created,
            matched=len(results) - created,
            recorded_at_source=done,
            already_recorded=already,
        )

    def run(self, request: TransferRequest) -> TransferResult:
        return self.send(self.preview(request))

    # --- recording at A -----------------------------------------------------------------------------------

    def record_at_source(
        self, plan: TransferPlan, careplan_ref: str | None, url: str | None
    ) -> tuple[bool, bool]:
        """(recorded, was already recorded). Raises RecordPending when A cannot be updated now."""
        try:
            careplan, exists = self._read_source_state(plan)
        except EhrError as exc:
            raise self._pending(plan, careplan_ref, exc, unsure=False) from None
        if exists:
            return True, True
        try:
            self.source.transaction(record.record_bundle(plan, careplan, url, self.clock()))
            return True, False
        except EhrError as exc:
            failed = exc
        # A may have stored the record and lost the answer (a resend then fails on its own If-Match): look.
        try:
            if self._read_source_state(plan)[1]:
                return True, False
            unsure = False
        except EhrError:
            unsure = bool(getattr(failed, "maybe_sent", False))
        raise self._pending(plan, careplan_ref, failed, unsure=unsure) from None

    def _pending(
        self, plan: TransferPlan, careplan_ref: str | None, exc: EhrError, *, unsure: bool
    ) -> RecordPending:
        name = self.target_name
        state = (
            "het is niet zeker of de overdracht hier is vastgelegd"
            if unsure
            else "het vastleggen van de overdracht hier is niet gelukt"
        )
        # The EHR's own message is written for someone's form input ("uw invoer is bewaard"): not here.
        cause = exc.message_nl
        if isinstance(exc, EhrDown):
            cause = "het dossier hier gaf geen bruikbaar antwoord."
        return RecordPending(
            f"Het traject staat bij {name}, maar {state} ({cause}) Start de overdracht opnieuw: "
            f"bij {name} wordt dan niets dubbel aangemaakt en hier wordt de overdracht vastgelegd als dat "
            "nog niet was gebeurd.",
            target_careplan=careplan_ref,
        )

    def _read_source_state(self, plan: TransferPlan) -> tuple[Json, bool]:
        careplan_key = plan.request.careplan
        task = _search_url("Task", ids.condition(record.task_identifier(plan.key)))
        request = bundles.batch(bundles.read_entry(u) for u in [task, careplan_key])
        results = bundles.results(self.source.batch(request), request)
        if any(not r.ok or r.resource is None for r in results):
            raise EhrDown("Het traject kon hier niet opnieuw worden gelezen.")
        exists = any(True for _ in paging.matches(results[0].resource or {}))
        return results[1].resource or {}, exists

    # --- errors from B in plain words ---------------------------------------------------------------------

    def _at_target(self, call: Callable[[], Json], *, writes: bool = False) -> Json:
        """``call`` at B with B's errors in plain Dutch; ``writes``: it sends the traject (not only reads)."""
        name = self.target_name
        try:
            return call()
        except AmbiguousMatch:
            raise AmbiguousAtTarget(
                f"{name} vond meerdere bestaande gegevens waar er één werd verwacht (bijvoorbeeld "
                f"twee jongeren "
                f"met hetzelfde BSN). Er is niets verstuurd en hier is niets veranderd.",
            ) from None
        except EhrDown as exc:
            if writes and exc.maybe_sent:  # B may have stored it and lost the answer: say so, never "niets"
                raise TargetUnreachable(
                    f"{name} gaf geen bruikbaar antwoord, dus het is niet zeker of het traject al is "
                    "aangekomen. Hier is de overdracht nog niet vastgelegd. Start de overdracht opnieuw: er "
                    "wordt niets dubbel aangemaakt.",
                ) from None
            raise TargetUnreachable(
                f"{name} is nu niet bereikbaar. Er is niets gewijzigd, ook hier niet. U kunt het "
                f"later opnieuw "
                "proberen; er wordt dan niets dubbel verstuurd.",
            ) from None
        except VersionConflict as exc:  # a 409: the generic "bekijk beide versies" does not fit a transfer
            raise TargetRefused(
                f"{name} heeft het traject niet aangenomen, omdat daar op hetzelfde moment dezelfde gegevens "
                f"werden gewijzigd. Er is niets opgeslagen bij {name} en hier is niets veranderd. Start de "
                "overdracht zo opnieuw; er wordt dan niets dubbel aangemaakt.",
                cause=exc,
            ) from None
        except (SessionExpired, EhrForbidden) as exc:
            raise TargetRefused(
                f"{name} geeft deze app geen toegang (de aanmelding bij {name} is geweigerd of te "
                f"beperkt). Er is "
                "niets verstuurd en hier is niets veranderd. Vraag de beheerder de koppeling te controleren.",
                cause=exc,
            ) from None
        except EhrError as exc:
            raise TargetRefused(
                f"{name} heeft het traject niet aangenomen: {_lower_first(exc.message_nl)} Er is "
                f"niets opgeslagen "
                f"bij {name} en hier is niets veranderd.",
                cause=exc,
            ) from None


def _lower_first(text: str) -> str:
    text = text.replace("Het dossier", "het dossier", 1)
    return text[:1].lower() + text[1:] if text else text


def summary_lines(plan: TransferPlan) -> Iterable[str]:
    """The preview as plain lines (CLI)."""
    yield f"Traject van {plan.source_name} naar {plan.request.target_name}"
    yield f"Jongere gekoppeld op: {plan.patient_match_kind}"
    yield f"Wijze: {plan.request.mode}"
    if plan.delivery_nl:
        yield f"Vertrouwelijke inhoud: {plan.delivery_nl}"
    yield ""
    yield f"Wordt verstuurd ({len(plan.sent)}):"
    for item in plan.sent:
        yield f"  + {item.label_nl} — {item.reason_nl}"
    yield ""
    yield f"Blijft hier ({len(plan.staying)}):"
    for item in plan.staying:
        yield f"  - {item.label_nl} — {item.reason_nl}"
