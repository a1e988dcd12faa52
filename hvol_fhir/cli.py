"""The ``hvol-fhir`` console script: one argparse parser, one subcommand per area.

An area joins by adding ``(name, "module:register")`` to :data:`COMMANDS`; ``register(subparsers)`` adds its
parser and sets ``func`` (``args -> int``). Library errors are printed in plain Dutch (exit 1), never as a
traceback; usage errors exit 2 (argparse).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .errors import HvolError

COMMANDS: tuple[tuple[str, str], ...] = (
    ("transfer", "hvol_fhir.transfer.cli:register"),
    ("keys", "hvol_fhir.sealing.cli:register"),  # registers `keys` and `seal`
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hvol-fhir", description="Handen vol ervaring: FHIR-hulpmiddelen.")
    sub = parser.add_subparsers(dest="command", required=True)
    for _name, target in COMMANDS:
        module, func = target.split(":")
        getattr(importlib.import_module(module), func)(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except HvolError as exc:
        print(f"Fout: {exc.message_nl}", file=sys.stderr)
        for line in getattr(exc, "details_nl", ()) or ():
            print(f"  - {line}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
