"""``python -m sandbox.auth --config settings.json [--host H] [--port P]``: one organisation's server."""

from __future__ import annotations

import argparse
import logging

from .server import run_auth_server
from .settings import load_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.auth", description=__doc__)
    parser.add_argument("--config", required=True, help="JSON settings file (see sandbox/auth/settings.py)")
    parser.add_argument("--host", help="default: the file's host or 127.0.0.1")
    parser.add_argument("--port", type=int, help="default: the file's port or 8801")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings, raw = load_settings(args.config, host=args.host, port=args.port)
    run_auth_server(settings, raw.get("host", "127.0.0.1"), int(raw.get("port", 8801)))


if __name__ == "__main__":
    main()
