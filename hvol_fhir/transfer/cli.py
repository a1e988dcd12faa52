"""``hvol-fhir transfer``: preview, send, export to a file, import a file (with a validation report).

Configuration (``--config FILE`` or ``$HVOL_TRANSFER_CONFIG``), paths relative to the file::

    {"sandbox": false,
     "source": {"name": "Jeugdzorg De Horizon", "fhir_base": "https://a.example/fhir",
                "client_id": "hvol-transfer", "key_file": "transfer-key.json", "vault_file": "vault.json"},
     "target": {"name": "Jeugdzorg Het Anker", "fhir_base": "https://b.example/fhir",
                "client_id": "hvol-transfer", "key_file": "transfer-key.json",
                "runs_app": true, "keys_url": "https://app.b.example/.well-known/hvol-keys.json?iss=..."}}

``scope`` per side is optional: the default is the narrow v2 set the transfer needs (:mod:`.scopes`).
``vault_file``: the source organisation's key ring (issue 12; the app's ``HVOL_VAULT_FILE``): the traject is
read through it, so what is sealed at the source is opened for the plan. ``runs_app`` with ``keys_url`` or
``keys_file`` (B's published keys): the confidential parts go sealed to B; without ``runs_app`` as plaintext
under the labels (:mod:`.delivery`). Preview, send and export say which.

Both sides authenticate with SMART Backend Services (``private_key_jwt``, a JWK with private part in
``key_file``); ``"token"`` instead of ``client_id``/``key_file`` uses a fixed bearer token. ``sandbox`` allows
plain http on loopback addresses only. Output is Dutch; journal content is never printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from ..ehr import FhirClient
from ..errors import InvalidInput
from ..sealing import fields
from ..sealing.codec import SealingCodec
from ..sealing.keys import FileKeyStore, KeyRing
from ..smart.backend import BackendServicesClient
from ..smart.keys import load_signing_key
from ..smart.registration import ClientRegistration
from ..smart.token import PrivateKeyJwt
from . import offline
from .delivery import delivery_for
from .model import MODES, TransferRequest
from .scopes import source_scope, target_scope
from .service import TransferService, summary_lines

ENV = "HVOL_TRANSFER_CONFIG"


def _auth(client_id: str, key: Any) -> Any:
    """private_key_jwt (typed loosely: the ClientAuth protocol wants a settable client_id)."""
    return PrivateKeyJwt(client_id, key)


def _load_config(path: str | None) -> tuple[dict[str, Any], Path]:
    name = path or os.environ.get(ENV)
    if not name:
        raise InvalidInput(f"Geef --config of zet ${ENV}.", field="config")
    file = Path(name)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InvalidInput("Het configuratiebestand kan niet worden gelezen.", field="config") from None
    return data, file.parent


def _ring(config: dict[str, Any], folder: Path) -> KeyRing | None:
    """The source's key ring (``source.vault_file``), or None when the configuration names none."""
    vault = (config.get("source") or {}).get("vault_file")
    return FileKeyStore(folder / str(vault)).load() if vault else None


def _client(
    config: dict[str, Any], side: str, folder: Path, ring: KeyRing | None = None
) -> tuple[FhirClient, str]:
    entry = config.get(side)
    if not isinstance(entry, dict) or not entry.get("fhir_base"):
        raise InvalidInput(f"De configuratie mist '{side}' met een fhir_base.", field=side)
    base = str(entry["fhir_base"])
    name = str(entry.get("name") or base)
    codec = SealingCodec(ring, frozenset(fields.KINDS)) if ring is not None else None
    if entry.get("token"):
        return FhirClient(base, str(entry["token"]), codec=codec), name
    key_file = folder / str(entry.get("key_file") or "")
    try:
        key = load_signing_key(json.loads(key_file.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        raise InvalidInput(
            f"De sleutel voor '{side}' kan niet worden gelezen.", field=f"{side}.key_file"
        ) from None
    client_id = str(entry.get("client_id") or "hvol-transfer")
    registration = ClientRegistration(base, client_id, "urn:ietf:wg:oauth:2.0:oob", _auth(client_id, key))
    default = source_scope() if side == "source" else target_scope()
    scopes = str(entry.get("scope") or default).split()
    auth = BackendServicesClient(
        registration, scopes, http=requests.Session(), sandbox=bool(config.get("sandbox"))
    )
    return FhirClient(base, auth, on_unauthorized=auth.invalidate, codec=codec), name


def _service(args: argparse.Namespace, *, need_target: bool | None) -> TransferService:
    """``need_target=None``: use B when the configuration names it (preview), else only its name."""
    config, folder = _load_config(args.config)
    if need_target is None:
        need_target = bool((config.get("target") or {}).get("fhir_base")) and not args.target_name
    ring = _ring(config, folder)
    source, source_name = _client(config, "source", folder, ring)
    delivery = delivery_for(config.get("target") or {}, ring, folder=folder)
    if need_target:
        target, target_name = _client(config, "target", folder)
    else:  # offline: B is only a name; the source client stands in and is never called as target
        target, target_name = source, args.target_name or str((config.get("target") or {}).get("name") or "")
        if not target_name:
            raise InvalidInput(
                "Geef de naam van de ontvangende organisatie (--target-name).", field="target-name"
            )
    return TransferService(
        source=source, target=target, source_name=source_name, target_name=target_name, delivery=delivery
    )


def _request(
    service: TransferService, args: argparse.Namespace, *, offline_target: bool = False
) -> TransferRequest:
    request = service.request_for(
        args.careplan, args.coordinator, args.reason, mode=args.mode, journal=tuple(args.journal or ())
    )
    if offline_target:  # the key names B by name: importing the file twice still matches
        request = dataclasses.replace(request, target=f"offline:{service.target_name}")
    return request


def _preview(args: argparse.Namespace) -> int:
    service = _service(args, need_target=None)
    plan = service.preview(_request(service, args))
    if args.json:
        items = [
            {
                "reference": i.reference,
                "type": i.resource_type,
                "label": i.label_nl,
                "send": i.send,
                "reason": i.reason_nl,
            }
            for i in plan.items
        ]
        summary = {
            "key": plan.key,
            "patient_match": plan.patient_match_kind,
            "delivery": plan.delivery,
            "items": items,
        }
        print(json.dumps(summary, indent=1))
    else:
        print("\n".join(summary_lines(plan)))
    return 0


def _send(args: argparse.Namespace) -> int:
    service = _service(args, need_target=True)
    plan = service.preview(_request(service, args))
    print("\n".join(summary_lines(plan)))
    if not args.yes:
        answer = input(f"\n{len(plan.sent)} gegevens versturen naar {service.target_name}? [j/N] ")
        if answer.strip().lower() not in ("j", "ja", "y", "yes"):
            print("Niets verstuurd.")
            return 1
    result = service.send(plan)
    print("\n" + result.summary_nl())
    if result.target_careplan_url:
        print(f"Traject bij {result.target_name}: {result.target_careplan_url}")
    return 0


def _export(args: argparse.Namespace) -> int:
    service = _service(args, need_target=False)
    plan = service.preview(_request(service, args, offline_target=True))
    bundle = offline.export_bundle(plan, datetime.now(UTC).isoformat())
    offline.write_file(Path(args.out), bundle)
    print("\n".join(summary_lines(plan)))
    print(f"\nOpgeslagen in {args.out} ({len(plan.bundle['entry'])} gegevens, alleen leesbaar voor u).")
    print(
        "Vertrouwelijke inhoud in het bestand: "
        + ("versleuteld voor de ontvanger." if plan.delivery == "sealed" else "leesbaar, onder de labels.")
    )
    print("Hier is niets veranderd: leg de overdracht vast zodra de ontvanger het bestand heeft ingelezen.")
    return 0


def _import(args: argparse.Namespace) -> int:
    config, folder = _load_config(args.config)
    target, name = _client(config, "target", folder)
    bundle = offline.read_file(Path(args.file))
    report = offline.validate_at(target, bundle, offline.check_bundle(bundle))
    print("\n".join(report.lines()))
    if not report.ok:
        return 1
    if args.check_only:
        return 0
    created, matched, careplan = offline.import_bundle(target, bundle)
    print(f"\nIngelezen bij {name}: {created} nieuw, {matched} bestonden al.")
    if careplan:
        print(f"Traject: {target.base_url}/{careplan}")
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help=f"configuratiebestand (JSON); standaard ${ENV}")


def _traject(parser: argparse.ArgumentParser, *, reason_required: bool) -> None:
    parser.add_argument(
        "--careplan", required=True, help="het traject bij de afzender: CarePlan/<id> of <id>"
    )
    parser.add_argument("--coordinator", required=True, help="Practitioner/<id> van de coördinator")
    parser.add_argument("--reason", required=reason_required, default="(voorvertoning)", help="reden")
    parser.add_argument(
        "--mode", choices=MODES, default="handover", help="overdracht of gedeelde voortzetting"
    )
    parser.add_argument(
        "--journal",
        action="append",
        metavar="Communication/<id>",
        help=(
            "verslag uit het contactjournaal dat mee mag (alleen met toestemming van de jongere); herhaalbaar"
        ),
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("transfer", help="traject overdragen aan een andere organisatie")
    sub = parser.add_subparsers(dest="action", required=True)
    p = sub.add_parser("preview", help="laat zien wat er wordt verstuurd en wat hier blijft")
    _common(p)
    _traject(p, reason_required=False)
    p.add_argument("--target-name", help="naam van de ontvanger (anders uit de configuratie)")
    p.add_argument("--json", action="store_true", help="als JSON (zonder inhoud)")
    p.set_defaults(func=_preview)
    p = sub.add_parser("send", help="versturen naar de ontvangende organisatie en hier vastleggen")
    _common(p)
    _traject(p, reason_required=True)
    p.add_argument("--yes", action="store_true", help="niet om bevestiging vragen")
    p.set_defaults(func=_send)
    p = sub.add_parser("export", help="de overdracht als bestand opslaan (offline overdracht)")
    _common(p)
    _traject(p, reason_required=True)
    p.add_argument("--target-name", help="naam van de ontvanger")
    p.add_argument("--out", required=True, help="bestand om te schrijven")
    p.set_defaults(func=_export)
    p = sub.add_parser("import", help="een overdrachtsbestand controleren en inlezen bij de ontvanger")
    _common(p)
    p.add_argument("--file", required=True, help="het overdrachtsbestand")
    p.add_argument("--check-only", action="store_true", help="alleen controleren, niets inlezen")
    p.set_defaults(func=_import)


if __name__ == "__main__":  # pragma: no cover
    from ..cli import main

    sys.exit(main(["transfer", *sys.argv[1:]]))
