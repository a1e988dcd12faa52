#!/usr/bin/env bash
# Refreshes the vendored NL Design System CSS (smart_app/static/vendor/) and axe-core for the browser tests
# (tests/browser/vendor/) from npm. Not part of bootstrap: the output is committed, so the app and the tests
# never fetch anything at run time. Run it by hand to move to newer versions; then update the two READMEs.
set -euo pipefail
cd "$(dirname "$0")/.."
UTRECHT_CSS=@utrecht/component-library-css@9.0.4
NLDS_TOKENS=@nl-design-system-unstable/voorbeeld-design-tokens@7.4.1
AXE=axe-core@4.14.1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$UTRECHT_CSS" "$NLDS_TOKENS" "$AXE" >/dev/null)
for f in "$tmp"/*.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
out=smart_app/static/vendor
mkdir -p "$out" tests/browser/vendor
# The component library's styles for plain HTML elements under .utrecht-html (EUPL-1.2), unchanged.
cp "$tmp"/utrecht-component-library-css-*/package/dist/html.css "$out/utrecht-html.css"
cp "$tmp"/utrecht-component-library-css-*/package/LICENSE.md "$out/LICENSE-EUPL-1.2.md"
# The NL Design System example theme (EUPL-1.2), only the Utrecht component tokens and the basis and colour
# tokens they refer to: the other components' tokens (Den Haag, Amsterdam, …) are never used here.
{
  echo "/* $NLDS_TOKENS dist/theme.css, only --utrecht-*, --basis-* and --voorbeeld-* (EUPL-1.2) */"
  echo ".voorbeeld-theme {"
  grep -E '^\s+--(utrecht|basis|voorbeeld)-' "$tmp"/nl-design-system-unstable-voorbeeld-design-tokens-*/package/dist/theme.css
  echo "}"
} > "$out/nlds-voorbeeld-theme.css"
cp "$tmp"/axe-core-*/package/axe.min.js tests/browser/vendor/axe.min.js
cp "$tmp"/axe-core-*/package/LICENSE tests/browser/vendor/LICENSE-axe-core-MPL-2.0.txt
