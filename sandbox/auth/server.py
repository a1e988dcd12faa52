"""The Flask side of the sandbox authorization server: it only adapts HTTP to the protocol modules.

``create_auth_app(settings)`` builds the app; ``run_auth_server`` serves it (werkzeug, threaded).
Pages are Dutch, server-rendered, autoescaped and work inside an iframe without JavaScript.
Logging names events and ids only: never tokens, codes, launches or client assertions.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Response

from . import grants
from .authorize import ClientError, check_client, check_request, error_redirect_params
from .client_auth import JwksResolver, authenticate_client
from .directory import age_on, role_label
from .discovery import openid_configuration, smart_configuration
from .errors import InvalidClient, InvalidRequest, NotFound, OAuthError, TemporarilyUnavailable
from .settings import AuthSettings
from .store import AuthStore, LaunchContext, PendingAuthorization

log = logging.getLogger("sandbox.auth")
bp = Blueprint("auth", __name__)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
SMART_STYLE = {
    "color_background": "#f7f5f2",
    "color_error": "#b3261e",
    "color_highlight": "#7a3e9d",
    "color_modal_backdrop": "",
    "color_success": "#2e7d32",
    "color_text": "#1d1b20",
    "dim_border_radius": "6px",
    "dim_font_size": "16px",
    "dim_spacing_size": "16px",
    "font_family_body": "system-ui, sans-serif",
    "font_family_heading": "system-ui, sans-serif",
}


@dataclass
class AuthServer:
    settings: AuthSettings
    store: AuthStore = field(default_factory=AuthStore)
    jwks_resolver: JwksResolver = field(default_factory=JwksResolver)


def create_auth_app(
    settings: AuthSettings, store: AuthStore | None = None, jwks_resolver: JwksResolver | None = None
) -> Flask:
    app = Flask(__name__)
    app.extensions["hvol_auth"] = AuthServer(settings, store or AuthStore(), jwks_resolver or JwksResolver())
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.register_blueprint(bp)
    return app


def _server() -> AuthServer:
    return current_app.extensions["hvol_auth"]  # type: ignore[no-any-return]


def with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *params.items()])
    return urlunsplit(parts._replace(query=query))


def error_page(message: str, status: int = 400) -> tuple[str, int]:
    return render_template("auth/error.html", message=message), status


def _params() -> dict[str, str]:
    source = request.form if request.method == "POST" else request.args
    return {key: source.get(key, "") for key in source}


@bp.errorhandler(requests.RequestException)
def directory_unreachable(exc: requests.RequestException) -> tuple[str, int]:
    log.warning("directory unreachable: %s", type(exc).__name__)
    return error_page("De gebruikerslijst (FHIR-server) is niet bereikbaar. Probeer het later opnieuw.", 503)


# --- discovery and keys ---------------------------------------------------------------------------------


@bp.get("/.well-known/smart-configuration")
def smart_config() -> Response:
    return jsonify(smart_configuration(_server().settings))


@bp.get("/.well-known/openid-configuration")
def openid_config() -> Response:
    return jsonify(openid_configuration(_server().settings))


@bp.get("/jwks")
def jwks() -> Response:
    return jsonify(_server().settings.token_issuer.jwks())


@bp.get("/smart-style.json")
def smart_style() -> Response:
    return jsonify(SMART_STYLE)


# --- authorization ----------------------------------------------------------------------------------------


def _continue(pending: PendingAuthorization) -> Response:
    """The next step of an accepted authorization: login, patient choice, or the code back to the app."""
    server = _server()
    if pending.context.user_id is None:
        return redirect(with_query("/login", {"req": pending.id}), 303)
    if pending.needs_patient and pending.context.patient is None:
        return redirect(with_query("/login/patient", {"req": pending.id}), 303)
    code = server.store.issue_code(pending, server.settings.code_lifetime)
    log.info(
        "authorization granted client=%s user=%s patient=%s",
        pending.client_id,
        pending.context.user_id,
        pending.context.patient,
    )
    return redirect(with_query(pending.redirect_uri, {"code": code, "state": pending.state}), 302)


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Response | tuple[str, int]:
    server = _server()
    params = _params()
    try:
        client, redirect_uri = check_client(server.settings, params)
    except ClientError as exc:
        log.info("authorize refused without redirect")
        return error_page(exc.message)
    try:
        pending = check_request(server.settings, server.store, client, redirect_uri, params)
    except OAuthError as exc:
        log.info("authorize refused client=%s error=%s", client.client_id, exc.error)
        return redirect(with_query(redirect_uri, error_redirect_params(exc, params.get("state"))), 302)
    server.store.add_pending(pending)
    return _continue(pending)


def _pending_or_page() -> PendingAuthorization | tuple[str, int]:
    pending = _server().store.pending(_params().get("req", ""))
    if pending is None:
        return error_page("Deze aanmelding is verlopen of onbekend. Start de app opnieuw.")
    return pending


def _deny(pending: PendingAuthorization) -> Response:
    _server().store.drop_pending(pending.id)
    params = {
        "error": "access_denied",
        "error_description": "afgebroken door de gebruiker",
        "state": pending.state,
    }
    return redirect(with_query(pending.redirect_uri, params), 302)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int]:
    pending = _pending_or_page()
    if not isinstance(pending, PendingAuthorization):
        return pending
    server = _server()
    if request.method == "POST":
        if "cancel" in request.form:
            return _deny(pending)
        user = server.settings.directory.user(request.form.get("user", ""))
        if user is None:
            return error_page("Kies een bestaande gebruiker.")
        log.info("login user=%s client=%s", user.id, pending.client_id)
        context = replace(pending.context, user_id=user.id)
        return _continue(server.store.update_pending(pending, context=context))
    users = [(u, role_label(u)) for u in server.settings.directory.users()]
    client = server.settings.client(pending.client_id)
    return render_template(
        "auth/login.html",
        users=users,
        req=pending.id,
        app_name=client.display_name if client else pending.client_id,
    ), 200


@bp.route("/login/patient", methods=["GET", "POST"])
def choose_patient() -> Response | tuple[str, int]:
    pending = _pending_or_page()
    if not isinstance(pending, PendingAuthorization):
        return pending
    server = _server()
    if pending.context.user_id is None:
        return redirect(with_query("/login", {"req": pending.id}), 303)
    if request.method == "POST":
        if "cancel" in request.form:
            return _deny(pending)
        if "caseload" in request.form:
            # Issue 15: no youth; a buddy's or coach's token then reaches her own girls (hvol_caseload).
            return _continue(server.store.update_pending(pending, needs_patient=False))
        youth = server.settings.directory.youth(request.form.get("patient", ""))
        if youth is None:
            return error_page("Kies een bestaande jongere.")
        context = replace(pending.context, patient=youth.id)
        return _continue(server.store.update_pending(pending, context=context))
    today = dt.date.today()
    youths = [(y, age_on(y.birth_date, today)) for y in server.settings.directory.youths()]
    return render_template("auth/patient.html", youths=youths, req=pending.id), 200


# --- token --------------------------------------------------------------------------------------------------


def _oauth_json(exc: OAuthError) -> Response:
    response = jsonify(exc.body())
    response.status_code = exc.status_code
    response.headers.update(NO_STORE)
    if isinstance(exc, InvalidClient) and request.authorization:
        response.headers["WWW-Authenticate"] = 'Basic realm="token"'
    return response


@bp.post("/token")
def token() -> Response:
    server = _server()
    form = {key: request.form.get(key, "") for key in request.form}
    grant_type = form.get("grant_type", "")
    try:
        client = authenticate_client(
            server.settings, server.store, server.jwks_resolver, form, request.headers.get("Authorization")
        )
        body = grants.issue(server.settings, server.store, client, form)
    except OAuthError as exc:
        log.info("token refused grant_type=%s error=%s", grant_type, exc.error)
        return _oauth_json(exc)
    except requests.RequestException:
        log.warning("token refused grant_type=%s: directory unreachable", grant_type)
        return _oauth_json(TemporarilyUnavailable("de gebruikerslijst is niet bereikbaar"))
    log.info(
        "token issued grant_type=%s client=%s patient=%s", grant_type, client.client_id, body.get("patient")
    )
    response = jsonify(body)
    response.headers.update(NO_STORE)
    return response


# --- launcher -----------------------------------------------------------------------------------------------


@bp.get("/")
def index() -> Response:
    return redirect("/launcher", 302)


@bp.route("/launcher", methods=["GET", "POST"])
def launcher() -> Response | tuple[str, int]:
    server = _server()
    settings = server.settings
    if request.method == "POST":
        form = request.form
        client = settings.client(form.get("client_id"))
        user = settings.directory.user(form.get("user", ""))
        patient_id = form.get("patient") or None
        if client is None or not client.launch_url:
            return error_page("Kies een geregistreerde app met een launch-URL.")
        if user is None:
            return error_page("Kies een gebruiker.")
        if patient_id and settings.directory.youth(patient_id) is None:
            return error_page("Kies een bestaande jongere.")
        reference = form.get("fhir_context", "").strip()
        context = LaunchContext(
            user_id=user.id,
            patient=patient_id,
            encounter=form.get("encounter", "").strip() or None,
            need_patient_banner="banner" in form,
            smart_style_url=settings.style_url,
            intent=form.get("intent", "").strip() or None,
            tenant=settings.tenant,
            fhir_context=({"reference": reference},) if reference else (),
        )
        launch = server.store.add_launch(client.client_id, context, settings.launch_lifetime)
        log.info("launch created client=%s user=%s patient=%s", client.client_id, user.id, patient_id)
        return redirect(with_query(client.launch_url, {"iss": settings.fhir_base, "launch": launch}), 303)
    today = dt.date.today()
    users = [(u, role_label(u)) for u in settings.directory.users()]
    youths = [(y, age_on(y.birth_date, today)) for y in settings.directory.youths()]
    apps = [c for c in settings.clients if c.launch_url or c.standalone_url]
    return render_template(
        "auth/launcher.html", users=users, youths=youths, apps=apps, fhir_base=settings.fhir_base
    ), 200


# --- sandbox-only developer token ------------------------------------------------------------------------


@bp.post("/dev/token")
def developer_token() -> Response:
    settings = _server().settings
    if not settings.enable_dev_token:
        return _oauth_json(NotFound("/dev/token staat uit"))
    data: Any = request.get_json(silent=True) or {}
    if not isinstance(data, dict) or not isinstance(data.get("user"), str):
        return _oauth_json(
            InvalidRequest("stuur JSON met user (Practitioner-id), optioneel patient en scope")
        )
    try:
        body = grants.dev_token(
            settings, data["user"], data.get("patient") or None, data.get("scope") or None
        )
    except OAuthError as exc:
        return _oauth_json(exc)
    log.info("dev token issued user=%s patient=%s", data["user"], data.get("patient"))
    response = jsonify(body)
    response.headers.update(NO_STORE)
    return response


# --- serving ---------------------------------------------------------------------------------------------


class _PathOnlyHandler(WSGIRequestHandler):
    """Access log without query strings: they carry launches, codes and states."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        self.log("info", '"%s %s" %s', self.command, path, code)


def make_auth_server(settings: AuthSettings, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded werkzeug server (not started); ``port=0`` picks a free port (``server.server_port``)."""
    return make_server(host, port, create_auth_app(settings), threaded=True, request_handler=_PathOnlyHandler)


def run_auth_server(settings: AuthSettings, host: str = "127.0.0.1", port: int = 8801) -> None:
    server = make_auth_server(settings, host, port)
    log.info("authorization server ready issuer=%s port=%s", settings.issuer, server.server_port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
