"""One place that turns errors into Dutch pages (style.md: the framework layer answers in one place).

Every ``HvolError`` (the SMART errors included) becomes a plain page that says what happened and what to do.
Texts from outside (an EHR's ``error_description``) are shown escaped, as text (R5). The log line names the
error code and the endpoint only: no tokens, no codes, no launch parameters, no personal data.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from hvol_fhir.errors import HvolError

from .i18n import _

log = logging.getLogger(__name__)


# The forms' free-text fields, labelled, for handing typed text back when its save could not be done.
KEPT_FIELDS = {
    "text": "Uw tekst",
    "what": "Wat",
    "whom": "Aan wie",
    "why": "Waarom",
    "not_told_why": "Waarom niet verteld",
    "note": "Notitie",
    "reden": "Reden",
    "location": "Plaats",
}


def _kept_input() -> list[tuple[str, str]]:
    """What was typed into a form whose save ended on this error page (the launch expired, say), so it can be
    copied before starting again. Only back to the browser that sent it with its valid CSRF token; never
    logged or stored."""
    from .context import csrf_valid  # late: context imports the app's state

    launch_id = (request.view_args or {}).get("launch_id")
    if request.method != "POST" or not isinstance(launch_id, str):
        return []
    try:
        valid = csrf_valid(launch_id)
    except Exception:  # noqa: BLE001 - no usable browser session or key: hand nothing back
        return []
    if not valid:
        return []
    return [
        (_(KEPT_FIELDS[k]), v) for k, v in request.form.items(multi=True) if k in KEPT_FIELDS and v.strip()
    ]


def _page(status: int, message: str, **extra: object) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, message=message, **extra), status


def handle_hvol_error(exc: HvolError) -> tuple[str, int]:
    log.info("error page code=%s status=%s endpoint=%s", exc.code, exc.http_status, request.endpoint)
    ehr_error, ehr_detail = exc.server_said or (None, None)
    return _page(
        exc.http_status,
        _(exc.message_nl),
        relaunch=exc.relaunch,
        ehr_error=ehr_error,
        ehr_detail=ehr_detail,
        kept=_kept_input(),
    )


def handle_http_error(exc: HTTPException) -> tuple[str, int]:
    status = exc.code or 500
    messages = {
        404: _("Deze pagina bestaat niet. Start de app opnieuw vanuit het dossier."),
        405: _("Deze handeling kan hier niet. Ga terug en probeer het opnieuw."),
    }
    return _page(status, messages.get(status, _("Er ging iets mis. Probeer het opnieuw.")), relaunch=False)


def handle_unexpected(exc: Exception) -> tuple[str, int]:
    log.exception("unexpected error endpoint=%s", request.endpoint)
    return _page(
        500,
        _(
            "Er ging iets mis in de app. Probeer het opnieuw; blijft dit gebeuren, neem dan "
            "contact op met de beheerder."
        ),
        relaunch=True,
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(HvolError, handle_hvol_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
