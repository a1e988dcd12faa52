"""Biweekly measurements in the app (issue 7): the buddy's due measurements and the trend, the fill-in page
the
youth uses on her buddy's screen, and the cohort report (page and CSV) for coordinator and behavioural
scientist.

Who sees what (``hvol_fhir.measurements.access``): buddy, coach, coordinator and behavioural scientist see the
scores of a youth; only the buddy records them; the report is for coordinator and behavioural scientist.
Regular staff and mentors get a plain refusal, never a score or a count. The fill-in page shows nothing of the
record: no name, no other data, only the questions. Saving is one transaction (response + Task completed) with
a client-generated identifier under a lock, so a double submit creates nothing twice; a refusal re-renders the
page with what she entered and says per question what to do.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from typing import Any, Final

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from hvol_fhir.ehr import EhrForbidden
from hvol_fhir.errors import HvolError, InvalidInput, NotAllowed
from hvol_fhir.mapping import careplan
from hvol_fhir.measurements import access, store, trend
from hvol_fhir.measurements.model import Measurement, MeasurementTask
from hvol_fhir.measurements.questionnaire import questionnaire
from hvol_fhir.measurements.report import CATEGORY_NL, DOMAINS, ReportConfig, build_report, to_csv
from hvol_fhir.measurements.schedule import due_without_tasks, shown
from hvol_fhir.measurements.validate import (
    MeasurementRefused,
    check_version,
)
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import local_date
from hvol_fhir.programme.model import Traject
from hvol_fhir.services import measurements as service

from .calling import caller
from .context import Ctx, check_csrf, ctx, now, require, require_patient
from .pagekit import common, load

log = logging.getLogger(__name__)
bp = Blueprint("measurements", __name__)

# User-level reads for the cohort report (hvol_fhir.smart.scopes: coordinator and behavioural scientist).
REPORT_FEATURE: Final = "measurement-report"
NOT_YOURS: Final = (
    "Metingen zijn alleen te zien voor het ervaringsmaatje, de coach, de coördinator en de "
    "gedragswetenschapper."
)
SET_SUFFIX: Final = "__ingevuld"  # "1" once the slider was moved (set by measurement.js)
NOJS_FIELD: Final = "__zonder_js"  # posted from <noscript>: every slider counts as answered
SKIP_SUFFIX: Final = "__overslaan"  # no-JS: skip an optional question


def _base(c_: Ctx, ident: str, **extra: Any) -> dict[str, Any]:
    return common(c_, ident=ident, **extra)


# --- the traject's measurements
# ------------------------------------------------------------------------------


@bp.get("/l/<launch_id>/t/<ident>/metingen")
def overview(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    require(access.may_see_scores(c_.role), NOT_YOURS)
    patient = require_patient(c_)
    moment = now()
    record = load(c_, ident, with_tasks=False)
    found = store.responses(c_.client, patient, record.reference)
    q = questionnaire()
    today = local_date(moment)
    tasks = _tasks(c_, record.traject, moment)
    due: list[tuple[date, MeasurementTask | None, bool]]
    if tasks is None:  # no Task access: the schedule alone says what is due
        authored = [local_date(m.authored) for m in found.measurements if m.counts]
        due = [(d, None, d < today) for d in due_without_tasks(record.traject, authored, today)]
    else:
        due = [(t.due, t, t.due < today) for t in shown(tasks, today)]
    return render_template(
        "measurements/overview.html",
        **_base(
            c_,
            ident,
            due=due,
            changes=trend.changes(found.measurements, q),
            count=len([m for m in found.measurements if m.counts]),
            withheld=found.withheld,
            svg=trend.chart_svg(record.traject, found.measurements, moment),
            delta_nl=trend.delta_nl,
            may_record=access.may_record(c_.role),
            closed=record.traject.status != "active",
            saved=request.args.get("opgeslagen") == "1",
        ),
    )


@bp.get("/l/<launch_id>/t/<ident>/metingen/verloop.svg")
def chart(launch_id: str, ident: str) -> Response:
    c_ = ctx(launch_id)
    require(access.may_see_scores(c_.role), NOT_YOURS)
    patient = require_patient(c_)
    record = load(c_, ident, with_tasks=False)
    found = store.responses(c_.client, patient, record.reference)
    return Response(trend.chart_svg(record.traject, found.measurements, now()), mimetype="image/svg+xml")


def _tasks(c_: Ctx, traject: Traject, moment: datetime) -> list[MeasurementTask] | None:
    """The traject's measurement Tasks (the buddy's visit also plans them), or None when the token has no
    access to Task: the EHR may leave Task outside what a patient-level token reaches."""
    if not c_.policy.may("read-tasks") or traject.id is None:
        return None
    try:
        if access.may_record(c_.role):
            return store.reconcile(c_.client, traject, local_date(moment), moment)
        return store.tasks(c_.client, traject.patient, f"CarePlan/{traject.id}")
    except (EhrForbidden, NotAllowed):
        log.info("measurement tasks unavailable role=%s", c_.role)
        return None


# --- filling in
# ------------------------------------------------------------------------------------------------


def _values(q_items: Any) -> dict[str, str]:
    """Her slider positions as posted; a slider she never moved (and an optional one she skipped) is blank."""
    nojs = request.form.get(NOJS_FIELD) == "1"
    out = {}
    for item in q_items:
        value = request.form.get(item.link_id, "")
        answered = request.form.get(item.link_id + SET_SUFFIX) == "1" or (
            nojs and request.form.get(item.link_id + SKIP_SUFFIX) != "1"
        )
        out[item.link_id] = value if answered else ""
    return out


def _posted() -> dict[str, Any]:
    return {
        "response_uuid": request.form.get("response_uuid", "")[:64],
        "questionnaire": request.form.get("questionnaire", "")[:256],
        "task": request.form.get("task", "")[:64],
        "values": _values(questionnaire().items),
    }


@bp.route("/l/<launch_id>/t/<ident>/metingen/invullen", methods=["GET", "POST"])
def fill_in(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    require(access.may_record(c_.role), service.ONLY_BUDDY)
    require_patient(c_)
    q = questionnaire()
    if request.method == "GET":
        form: dict[str, Any] = {"response_uuid": str(uuid.uuid4()), "questionnaire": q.canonical}
        form |= {"task": request.args.get("taak", "")[:64], "values": {}}
        return render_template(
            "measurements/fill.html", **_base(c_, ident, q=q, form=form, errors=[], item_errors={})
        )
    check_csrf(launch_id)
    form = _posted()
    item_errors: dict[str, str] = {}
    try:
        check_version(form["questionnaire"], q)
        record = load(c_, ident, with_tasks=False)
        command = service.RecordMeasurement(
            record, form["response_uuid"], form["questionnaire"], form["values"], form["task"]
        )
        saved = service.record_measurement(caller(c_), command)
        log.info("measurement saved created=%s", saved.created)
        return redirect(url_for("measurements.done", launch_id=launch_id, ident=ident), 303)
    except MeasurementRefused as exc:
        item_errors = {p.field: p.message_nl for p in exc.problems}
        errors = [p.message_nl for p in exc.problems]
    except HvolError as exc:
        log.info("measurement refused code=%s", exc.code)
        errors = [exc.message_nl]
    return render_template(
        "measurements/fill.html", **_base(c_, ident, q=q, form=form, errors=errors, item_errors=item_errors)
    ), 422


@bp.get("/l/<launch_id>/t/<ident>/metingen/klaar")
def done(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    require(access.may_record(c_.role))
    return render_template("measurements/done.html", **_base(c_, ident))


# --- the cohort report
# ------------------------------------------------------------------------------------------


def _day(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("Vul een geldige datum in (jjjj-mm-dd).", field=name, code="not-a-date") from None


def _report(c_: Ctx) -> Any:
    config = ReportConfig.from_mapping(
        current_app.config.get("HVOL_MEASUREMENT_REPORT"), start=_day("vanaf"), end=_day("tot")
    )
    plans, raws = store.cohort(c_.client)
    parsed = store.parse_responses(raws)
    by_plan: dict[str, list[Measurement]] = {}
    for m in parsed.measurements:
        by_plan.setdefault(m.traject, []).append(m)
    trajects = []
    for raw in plans:
        try:
            traject = careplan.from_fhir(raw)
        except HvolError:
            continue
        if traject.phase_periods(c.PHASE_CONTACT_PERIOD) or f"CarePlan/{traject.id}" in by_plan:
            trajects.append(traject)
    trajects.sort(key=lambda t: t.phases[0].start if t.phases else t.created)
    cohort = [(f"CarePlan/{t.id}", by_plan.get(f"CarePlan/{t.id}", [])) for t in trajects]
    return build_report(cohort, config), parsed.withheld


@bp.get("/l/<launch_id>/metingen/rapport")
def report(launch_id: str) -> Any:
    c_ = ctx(launch_id)
    require(
        access.may_see_report(c_.role), "De rapportage is voor de coördinator en de gedragswetenschapper."
    )
    errors: list[str] = []
    result, withheld = None, 0
    try:
        result, withheld = _report(c_)
    except InvalidInput as exc:
        errors.append(exc.message_nl)
    return render_template(
        "measurements/report.html",
        **common(
            c_,
            report=result,
            withheld=withheld,
            errors=errors,
            domains=DOMAINS,
            category_nl=CATEGORY_NL,
            args={"vanaf": request.args.get("vanaf", ""), "tot": request.args.get("tot", "")},
        ),
    ), (422 if errors else 200)


@bp.get("/l/<launch_id>/metingen/rapport.csv")
def report_csv(launch_id: str) -> Response:
    c_ = ctx(launch_id)
    require(
        access.may_see_report(c_.role), "De rapportage is voor de coördinator en de gedragswetenschapper."
    )
    result, _withheld = _report(c_)
    name = f"metingen-rapportage-{local_date(now()).isoformat()}.csv"
    return Response(
        "\ufeff" + to_csv(result),  # the BOM makes spreadsheet programs read UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
