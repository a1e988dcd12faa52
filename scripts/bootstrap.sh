#!/usr/bin/env bash
# Installs what the demo and the tests need, idempotently:
#   Debian packages (Java 17, Maven, Chromium + driver, Redis) when missing, a virtualenv in .venv with
#   hvol-fhir and its test extras, and the sandbox's HAPI server build (Maven, first run downloads ~300 MB).
# Usage: scripts/bootstrap.sh [--no-browser]
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=1
[ "${1:-}" = "--no-browser" ] && want_browser=0

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ "$want_browser" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing: ${missing[*]}" >&2
    echo "  Install them first, e.g.: sudo apt-get install ${missing[*]}" >&2
    echo "  (Java 17 and Maven build the sandbox EHR; Chromium runs the browser tests; Redis the session-store tests.)" >&2
    exit 3
  fi
fi

java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
if [ "${java_major:-0}" -lt 17 ]; then
  echo "bootstrap: Java 17 or newer is needed, found ${java_major:-none} (apt-get install openjdk-17-jdk-headless)" >&2
  exit 3
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"

.venv/bin/python -c "from sandbox.hapi import ensure_built; ensure_built()"
