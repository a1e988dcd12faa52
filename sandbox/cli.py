"""``hvol-sandbox``: run the sandbox EHR(s) with demo data, and mint tokens for exploring the FHIR API.

hvol-sandbox demo              three organisations with demo data: A and B enforce the journal labels, C is an
                               EHR that enforces none (tokens and scopes only); prints where to click
hvol-sandbox token USER [--patient ID] [--scope S] [--org A]   prints an access token of a demo user
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from sandbox.hapi import HapiError
from sandbox.org import Organisation

STATE_DIR = Path(".sandbox")
STATE_FILE = STATE_DIR / "running.json"
OPEN_ORG = "C"  # the demo's EHR that enforces no labels (issue 12): privacy there rests on the app alone


def _print_demo_help(orgs: list[Organisation], app_url: str | None) -> None:
    from sandbox.demo_scenario import STAFF

    a = orgs[0]
    lines = [
        "",
        "hvol-fhir sandbox draait.",
        "",
    ]
    for org in orgs:
        kind = "" if org.enforce_journal else " (EPD dat geen labels afdwingt)"
        lines += [
            f"  Organisatie {org.name}{kind}:",
            f"    Launcher (kies gebruiker en jongere, start de app): {org.launcher_url}",
            f"    FHIR-basis-URL: {org.fhir_base}",
            f"    Autorisatieserver: {org.auth_url}",
            f"    Logs: {org.workdir}",
        ]
    if app_url:
        lines += ["", f"  App: {app_url}"]
    lines += [
        "",
        "Wat te proberen (organisatie A):",
        f"  1. Open {a.launcher_url}",
        "  2. Kies een gebruiker per rol en een jongere, en klik 'Start app (EHR-launch)':",
    ]
    for person in STAFF:
        lines.append(f"       {person.role_label:<32} {person.name:<20} (id {person.id})")
    lines += [
        "  3. Journaal via de FHIR-API, met een token van een demogebruiker:",
        "       TOKEN=$(.venv/bin/hvol-sandbox token hv-buddy-1)",
        f'       curl -H "Authorization: Bearer $TOKEN" \\\n'
        f"         '{a.fhir_base}/Communication?subject=Patient/hv-youth-06'",
        "     Met hv-buddy-1 (maatje van hv-youth-06) ziet u de journaalverslagen; met hv-mentor-1 of",
        "     hv-staff-1 (regulier personeel) een lege bundel.",
    ]
    for c in (o for o in orgs if not o.enforce_journal):
        lines += [
            "",
            f"Organisatie {c.name} is een EPD dat geen labels afdwingt, zoals veel echte EPD's: het",
            "  controleert tokens en scopes, maar verbergt het journaal voor niemand. Daar houdt alleen de",
            "  app zelf het journaal geheim. Vergelijk met stap 3:",
            f"       TOKEN=$(.venv/bin/hvol-sandbox token hv-staff-1 --org {c.name})",
            f'       curl -H "Authorization: Bearer $TOKEN" \\\n'
            f"         '{c.fhir_base}/Communication?subject=Patient/hv-youth-06'",
            "     Regulier personeel krijgt hier de journaalverslagen terug zoals de server ze bewaart:",
            "     versleuteld, met alleen een korte melding dat ze vertrouwelijk zijn. In de app (launcher",
            f"     van {c.name}) leest het maatje ze gewoon.",
        ]
    lines += ["", "Stoppen: Ctrl+C."]
    print("\n".join(lines), flush=True)


def cmd_demo(args: argparse.Namespace) -> int:
    from sandbox.demo_app import app_clients, start_demo_app
    from sandbox.org import start_organisations

    STATE_DIR.mkdir(exist_ok=True)
    print("Sandbox starten (eerste keer: HAPI bouwen, dat duurt enkele minuten)...", flush=True)
    from sandbox.hapi import free_port

    app_port_hint = free_port(args.app_port)  # a taken port is replaced by a free one
    try:
        orgs = start_organisations(
            ["A", "B", OPEN_ORG],
            STATE_DIR,
            open_ehr=[OPEN_ORG],
            clients=app_clients(app_port_hint),
            demo_data=True,
            dev_token=True,
        )
    except HapiError as exc:
        print(f"Fout: {exc}", file=sys.stderr)
        return 2
    app = None
    try:
        app = start_demo_app(orgs, port=app_port_hint)
        STATE_FILE.write_text(
            json.dumps({o.name: {"auth_url": o.auth_url, "fhir_base": o.fhir_base} for o in orgs}),
            encoding="utf-8",
        )
        _print_demo_help(orgs, app.url if app else None)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    finally:
        print("\nSandbox stoppen...", flush=True)
        if app:
            app.stop()
        for org in orgs:
            org.stop()
        STATE_FILE.unlink(missing_ok=True)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from sandbox.auth import request_dev_token

    if not STATE_FILE.exists():
        print("Er draait geen sandbox. Start die eerst met 'make demo'.", file=sys.stderr)
        return 2
    running = json.loads(STATE_FILE.read_text(encoding="utf-8"))
    if args.org not in running:
        print(f"Onbekende organisatie '{args.org}'. Kies uit: {', '.join(running)}.", file=sys.stderr)
        return 2
    try:
        body = request_dev_token(running[args.org]["auth_url"], args.user, args.patient, args.scope)
    except Exception as exc:  # noqa: BLE001 - shown to the developer in plain words
        print(f"Geen token gekregen voor '{args.user}': {exc}", file=sys.stderr)
        return 2
    print(body["access_token"])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hvol-sandbox", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="start three organisations with demo data (C enforces no labels)")
    demo.add_argument("--app-port", type=int, default=5000)
    demo.set_defaults(func=cmd_demo)
    token = sub.add_parser("token", help="print an access token of a demo user")
    token.add_argument("user", help="Practitioner id, e.g. hv-buddy-1")
    token.add_argument("--patient", help="launch patient id, e.g. hv-youth-06")
    token.add_argument("--scope", help="scopes (default: the user's role scopes)")
    token.add_argument("--org", default="A")
    token.set_defaults(func=cmd_token)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
