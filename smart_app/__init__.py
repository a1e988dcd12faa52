"""The hvol-fhir Flask app: SMART launch, then the programme pages (one blueprint per area).

``create_app(test_config=None)``: defaults, then ``$HVOL_CONFIG`` and ``HVOL_*`` environment variables (or the
test config instead), then the key, the issuer allowlist, the session store and the blueprints.
Test configs may also pass objects: ``HVOL_SIGNING_KEY``, ``HVOL_STORE`` (an ``AppLaunchStore``),
``HVOL_HTTP`` (a ``requests.Session``), ``HVOL_CLOCK`` (the app's one clock: seconds since the epoch, as
``time.time``; "today" is taken from it in Europe/Amsterdam) and ``HVOL_PREVIOUS_SIGNING_KEY``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import requests
from flask import Flask, request
from werkzeug.wrappers import Response

from hvol_fhir.privacy.features import FEATURES
from hvol_fhir.programme.clock import today_at
from hvol_fhir.sealing.vaults import Vaults
from hvol_fhir.smart import SmartLauncher

from . import access_log, errors
from .config import (
    DEFAULTS,
    build_registry,
    build_vaults,
    frame_ancestors,
    from_environment,
    load_or_create_key,
    load_previous_key,
    normalise,
    previous_key_path,
)
from .context import check_csrf, save_outcome
from .i18n import _
from .launches import LaunchService
from .sealing import Sealer
from .sessions import open_store
from .state import AppState

KEYS_MISSING_NL = _(
    "De sleutels van de organisatie ontbreken of zijn niet leesbaar. Het journaal en de andere "
    "vertrouwelijke gegevens zijn daarom nu niet te openen of op te slaan; er wordt niets onversleuteld "
    "bewaard. Vraag de beheerder de sleutels terug te zetten uit de back-up."
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    app.config.update(from_environment(os.environ) if test_config is None else test_config)
    app.config.update(normalise(app.config))
    app.config.setdefault("HVOL_CLOCK", time.time)
    ancestors = frame_ancestors(app.config)  # refuses to start without an explicit list outside the sandbox
    app.extensions["hvol"] = build_state(app)
    app.jinja_env.globals["_"] = _
    app.jinja_env.globals["save_outcome"] = save_outcome
    app.context_processor(lambda: keys_notice(app.extensions["hvol"]))
    access_log.install()  # request lines without query strings (codes, states, launch values)
    errors.init_app(app)
    register_blueprints(app)
    app.before_request(csrf_before_anything)
    app.after_request(lambda response: security_headers(response, ancestors))
    return app


def build_state(app: Flask) -> AppState:
    """Key, allowlist, store, launcher and launch service of one app instance."""
    config = app.config
    key_path = Path(config["HVOL_KEY_FILE"] or Path(app.instance_path) / "app-key.json")
    key = config.get("HVOL_SIGNING_KEY") or load_or_create_key(key_path)
    previous = config.get("HVOL_PREVIOUS_SIGNING_KEY") or load_previous_key(
        previous_key_path(config, key_path)
    )
    registry = build_registry(config, key)
    clock = config["HVOL_CLOCK"]
    store = config.get("HVOL_STORE") or open_store(
        config["HVOL_SESSION_STORE"], app.instance_path, clock, Sealer.from_signing_key(key)
    )
    http = config.get("HVOL_HTTP") or requests.Session()
    launcher = SmartLauncher(registry, store, http=http, clock=clock, catalog=FEATURES)
    vaults: Vaults = config.get("HVOL_VAULTS") or build_vaults(config, app.instance_path)
    service = LaunchService(
        launcher,
        store,
        http=http,
        today=lambda: today_at(clock()),
        clock=clock,
        fhir_timeout=config["HVOL_FHIR_TIMEOUT"],
        journal_idle=60.0 * config["HVOL_JOURNAL_IDLE_MINUTES"],
        membership_keys=vaults.membership_keys,
    )
    return AppState(
        key=key,
        registry=registry,
        store=store,
        service=service,
        vaults=vaults,
        previous_keys=(previous,) if previous is not None and previous.kid != key.kid else (),
    )


def keys_notice(state: AppState) -> dict[str, str]:
    # Issue 12: without the organisation's keys the journal features are off; say so on every page.
    missing = [iss for iss in state.registry.issuers() if state.vaults.ring_or_none(iss) is None]
    return {"keys_problem": KEYS_MISSING_NL if missing else ""}


def register_blueprints(app: Flask) -> None:
    from . import (
        availability,
        card,
        contact_status,
        contacts,
        coordinator,
        escalations,
        home,
        inclusion,
        introduction,
        journal,
        launch,
        measurements,
        outreach,
        sharing,
        startpage,
        traject,
        transfer,
    )

    for module in (
        launch,
        home,
        traject,
        inclusion,
        introduction,
        contacts,
        journal,
        coordinator,
        card,
        transfer,
        measurements,
        availability,
        startpage,
        escalations,
        outreach,
        contact_status,
        sharing,
    ):
        app.register_blueprint(module.bp)


def csrf_before_anything() -> None:
    # A cross-site POST must not get as far as a read (whose AuditEvent would name the victim).
    if request.method == "POST" and "launch_id" in (request.view_args or {}):
        check_csrf(str((request.view_args or {})["launch_id"]))


def security_headers(response: Response, ancestors: str) -> Response:
    # Pages carry patient data and launch ids: not cached, no referrer, framable only by the EHR.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; "
        f"frame-ancestors {ancestors}"
    )
    return response
