"""``hvol-fhir keys …`` and ``hvol-fhir seal …``: the organisation's keys and the sealed data in the EHR.

::

    hvol-fhir keys init    --file vault.json --organisation "Jeugdzorg De Horizon"
    hvol-fhir keys rotate  --file vault.json                      # new writes use the new keys
    hvol-fhir keys reseal  --file vault.json --fhir-base URL [--apply]   # old data to the new key
    hvol-fhir keys backup  --file vault.json --out vault.backup.jwe      # passphrase-protected
    hvol-fhir keys restore --from vault.backup.jwe --file vault.json
    hvol-fhir keys verify  --file vault.json --fhir-base URL      # open and verify a sample, report
    hvol-fhir seal --dry-run | --apply --file vault.json --fhir-base URL [--coordinator Practitioner/x]

The EHR is reached with ``--fhir-base`` and a bearer token in ``$HVOL_FHIR_TOKEN`` (a system token that reads
and writes the programme's resources). The passphrase of a backup comes from ``$HVOL_KEYS_PASSPHRASE`` or is
asked for. Output is Dutch and never holds content: counts and resource references only.
"""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import Any

from ..ehr import FhirClient
from ..errors import InvalidInput
from .keys import FileKeyStore, KeyRing, backup, generate, restore, rotate
from .migrate import EXPUNGE_NOTE, Migration, Report, verify_sample

TOKEN_ENV = "HVOL_FHIR_TOKEN"
PASSPHRASE_ENV = "HVOL_KEYS_PASSPHRASE"


def _store(args: argparse.Namespace) -> FileKeyStore:
    return FileKeyStore(Path(args.file))


def _client(args: argparse.Namespace) -> FhirClient:
    token = os.environ.get(TOKEN_ENV, "")
    if not args.fhir_base:
        raise InvalidInput("Geef --fhir-base: het adres van de FHIR-server.", field="fhir-base")
    if not token:
        raise InvalidInput(f"Zet ${TOKEN_ENV} op een token dat de programmagegevens mag lezen en schrijven.")
    return FhirClient(args.fhir_base, token)


def _passphrase(confirm: bool) -> str:
    found = os.environ.get(PASSPHRASE_ENV)
    if found:
        return found
    first = getpass.getpass("Wachtzin van de back-up: ")
    if confirm and getpass.getpass("Nog een keer: ") != first:
        raise InvalidInput("De twee wachtzinnen verschillen; er is niets geschreven.")
    return first


def _print_report(report: Report, *, applied: bool) -> None:
    for line in report.lines():
        print(f"  {line}")
    for ref in report.broken[:20]:
        print(f"  gaat niet open: {ref}")
    if applied and report.counts["done"]:
        print(EXPUNGE_NOTE)


def cmd_init(args: argparse.Namespace) -> int:
    store = _store(args)
    if store.exists():
        raise InvalidInput("Er staat al een sleutelring; die wordt nooit overschreven.", field="file")
    ring = generate(args.organisation)
    store.save(ring)
    print(f"Sleutelring gemaakt: {args.file} (alleen leesbaar voor de eigenaar).")
    print("Maak nu een back-up (hvol-fhir keys backup): zonder deze sleutels is het journaal onleesbaar.")
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    store = _store(args)
    ring = rotate(store.load())
    store.save(ring)
    print("Nieuwe sleutels: nieuwe gegevens worden daarmee verzegeld en ondertekend; oude blijven te openen.")
    for purpose in ("seal", "sign", "wrap"):
        print(f"  {purpose}: nu {ring.current(purpose).kid} ({len(ring.kids(purpose))} in de ring)")
    print("Verplaats oude gegevens met: hvol-fhir keys reseal --apply; maak daarna een nieuwe back-up.")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    ring = _store(args).load()
    text = backup(ring, _passphrase(confirm=True))
    out = Path(args.out)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    print(f"Back-up geschreven: {out}. Bewaar hem en de wachtzin op twee verschillende plekken.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    store = _store(args)
    if store.exists() and not args.force:
        raise InvalidInput("Er staat al een sleutelring; gebruik --force om hem te vervangen.", field="file")
    ring = restore(Path(getattr(args, "from")).read_text(encoding="utf-8"), _passphrase(confirm=False))
    store.save(ring)
    print(f"Sleutelring hersteld in {args.file} ({len(ring.kids('seal'))} verzegelsleutels).")
    print("Controleer hem met: hvol-fhir keys verify")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    ring = _store(args).load()
    print(f"Sleutelring van {ring.organisation or 'onbekend'}: in orde.")
    if not args.fhir_base:
        return 0
    counts = verify_sample(_client(args), ring, per_type=args.sample, patient=args.patient)
    for name, n in sorted(counts.items()):
        print(f"  {name}: {n}")
    bad = counts["gaat niet open"] + counts["lidmaatschap niet ondertekend"] + counts["rol niet ondertekend"]
    if counts["gaat niet open"]:
        print(
            "Sommige gegevens gaan met deze sleutels niet open: is dit de goede (of volledige) sleutelring?"
        )
    return 1 if bad else 0


def _migration(args: argparse.Namespace, ring: KeyRing) -> Migration:
    return Migration(
        _client(args), ring, signer=getattr(args, "coordinator", None), progress=print, patient=args.patient
    )


def cmd_reseal(args: argparse.Namespace) -> int:
    ring = _store(args).load()
    migration = _migration(args, ring)
    types = frozenset({"Communication", "Encounter", "Observation", "CarePlan", "Consent"})
    if not args.apply:
        report = migration.plan(types)
        print("Proefrun (er is niets gewijzigd):")
        _print_report(report, applied=False)
        return 0
    report = migration.run(frozenset({"reseal"}), types)
    print("Opnieuw verzegeld met de huidige sleutel:")
    _print_report(report, applied=True)
    return 1 if report.conflicts or report.failed else 0


def cmd_seal(args: argparse.Namespace) -> int:
    ring = _store(args).load()
    migration = _migration(args, ring)
    if args.dry_run or not args.apply:
        report = migration.plan()
        print("Proefrun (er is niets gewijzigd):")
        _print_report(report, applied=False)
        if report.counts["sign"]:
            print(
                "Lidmaatschappen zonder handtekening geven in de app geen rechten. Laat de coördinator ze "
                "nakijken en zet ze vast met: --apply --coordinator Practitioner/<id> --confirm-memberships"
            )
        return 0
    wanted: set[Any] = {"seal", "reseal"}
    if args.confirm_memberships:
        if not args.coordinator:
            raise InvalidInput("Wie bevestigt de lidmaatschappen? Geef --coordinator Practitioner/<id>.")
        wanted.add("sign")
    types = (
        None
        if args.confirm_memberships
        else frozenset({"Communication", "Encounter", "Observation", "CarePlan", "Consent"})
    )
    report = migration.run(frozenset(wanted), types)
    print("Verzegeld:" if not args.confirm_memberships else "Verzegeld en ondertekend:")
    _print_report(report, applied=True)
    if not args.confirm_memberships:
        print("Lidmaatschappen zijn niet ondertekend (daarvoor: --confirm-memberships --coordinator …).")
    return 1 if report.conflicts or report.failed else 0


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="De sleutels van de organisatie (verzegelen en ondertekenen).")
    ksub = keys.add_subparsers(dest="keys_command", required=True)

    def with_file(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--file", required=True, help="het sleutelbestand (JSON, 0600)")
        return p

    def with_ehr(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--fhir-base", help=f"de FHIR-server (token in ${TOKEN_ENV})")
        p.add_argument("--patient", help="alleen de gegevens van deze jongere (Patient/<id>)")
        return p

    p = with_file(ksub.add_parser("init", help="maak de sleutelring (eenmalig)"))
    p.add_argument("--organisation", required=True)
    p.set_defaults(func=cmd_init)
    with_file(ksub.add_parser("rotate", help="nieuwe sleutels; oude blijven openen")).set_defaults(
        func=cmd_rotate
    )
    p = with_ehr(with_file(ksub.add_parser("reseal", help="oude gegevens naar de huidige sleutel")))
    p.add_argument("--apply", action="store_true", help="echt wijzigen (anders een proefrun)")
    p.set_defaults(func=cmd_reseal)
    p = with_file(ksub.add_parser("backup", help="back-up met wachtzin"))
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_backup)
    p = with_file(ksub.add_parser("restore", help="herstel uit een back-up"))
    p.add_argument("--from", required=True, dest="from")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_restore)
    p = with_ehr(with_file(ksub.add_parser("verify", help="open en controleer een steekproef")))
    p.add_argument("--sample", type=int, default=20)
    p.set_defaults(func=cmd_verify)

    seal = with_ehr(with_file(sub.add_parser("seal", help="verzegel bestaande gegevens in het dossier")))
    mode = seal.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true")
    mode.add_argument("--apply", action="store_true")
    seal.add_argument("--coordinator", help="Practitioner/<id> die de lidmaatschappen bevestigt")
    seal.add_argument("--confirm-memberships", action="store_true")
    seal.set_defaults(func=cmd_seal)
