"""The layout rules of issue 16, checked on the source text (no import of the app needed).

- no module in ``hvol_fhir`` or ``smart_app`` over 400 lines;
- no view function (a function decorated with a blueprint route) over 40 lines;
- no blueprint module of ``smart_app`` imports another blueprint module (shared page code lives in
  ``pagekit.py``, request context and CSRF in ``context.py``);
- ``hvol_fhir`` imports no Flask (nor Werkzeug, Flask's toolkit): the library has no web framework;
- the library's parts (``mapping``, ``privacy``, ``sealing``, ``fhirjson``, ...) import each other one way
  only: no cycle (``privacy`` builds on ``mapping``, never the other way round).

Each rule is also tested on a small made-up module, so a rule that could never fail would show.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 400
MAX_VIEW_LINES = 40
ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete"})
WEB_FRAMEWORKS = ("flask", "werkzeug")


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def line_count(source: str) -> int:
    return len(source.splitlines())


def long_views(tree: ast.Module, limit: int = MAX_VIEW_LINES) -> Iterator[tuple[str, int]]:
    """(name, lines) of every blueprint view in ``tree`` longer than ``limit``, decorators not counted."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_view(node):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                yield node.name, length


def is_view(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Decorated with ``@<blueprint>.route(...)``, ``.get(...)``, ``.post(...)`` and the like."""
    return any(
        isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ROUTE_DECORATORS
        for d in node.decorator_list
    )


def defines_blueprint(tree: ast.Module) -> bool:
    """A module-level ``<name> = Blueprint(...)``."""
    return any(
        isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and getattr(node.value.func, "id", getattr(node.value.func, "attr", None)) == "Blueprint"
        for node in tree.body
    )


def imported_modules(tree: ast.Module, package: str) -> set[str]:
    """Every module an ``import`` anywhere in ``tree`` names, absolute, for a module directly in ``package``
    (relative imports resolved: ``from . import x`` and ``from .x import y`` both name ``package.x``)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # ``from . import x`` is the package itself, each further dot one level up
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(p for p in (*parent, base) if p)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def blueprint_modules() -> dict[str, ast.Module]:
    trees = {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in (ROOT / "smart_app").glob("*.py")}
    return {name: tree for name, tree in trees.items() if defines_blueprint(tree)}


# --- the rules on the real code ---------------------------------------------------------------------------


@pytest.mark.parametrize("package", ["hvol_fhir", "smart_app"])
def test_no_module_over_400_lines(package: str) -> None:
    too_long = {
        rel(p): n
        for p in modules(package)
        if (n := line_count(p.read_text(encoding="utf-8"))) > MAX_MODULE_LINES
    }
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"


def test_no_view_function_over_40_lines() -> None:
    found: dict[str, int] = {}
    for path in modules("smart_app"):
        for name, length in long_views(ast.parse(path.read_text(encoding="utf-8"))):
            found[f"{rel(path)}:{name}"] = length
    assert not found, f"views over {MAX_VIEW_LINES} lines: {found}"


def test_no_blueprint_imports_another_blueprint() -> None:
    blueprints = blueprint_modules()
    assert {"home", "launch", "traject", "journal", "contacts"} <= set(blueprints)  # the check sees them
    crossings = {
        name: sorted(
            other
            for other in blueprints
            if other != name and f"smart_app.{other}" in imported_modules(tree, "smart_app")
        )
        for name, tree in blueprints.items()
    }
    assert not {k: v for k, v in crossings.items() if v}, crossings


def test_the_library_imports_no_web_framework() -> None:
    offenders = sorted(
        rel(p)
        for p in modules("hvol_fhir")
        if any(
            m.split(".")[0] in WEB_FRAMEWORKS
            for m in imported_modules(ast.parse(p.read_text(encoding="utf-8")), "hvol_fhir")
        )
    )
    assert not offenders, offenders


def library_edges() -> dict[str, set[str]]:
    """Which part of ``hvol_fhir`` (first name below it: a subpackage or a top-level module) imports which."""
    edges: dict[str, set[str]] = {}
    for path in modules("hvol_fhir"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        package = ".".join(parts[:-1])
        part = parts[1]
        if part == "__init__":
            continue
        for name in imported_modules(ast.parse(path.read_text(encoding="utf-8")), package):
            pieces = name.split(".")
            if pieces[0] == "hvol_fhir" and len(pieces) > 1 and pieces[1] not in (part, "__init__"):
                edges.setdefault(part, set()).add(pieces[1])
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle among ``edges`` (as the path that closes it), or ``[]``."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for nxt in sorted(edges.get(node, ())):
            found = visit(nxt, [*path, node])
            if found:
                return found
        done.add(node)
        return []

    for start in sorted(edges):
        found = visit(start, [])
        if found:
            return found
    return []


def test_library_parts_import_each_other_one_way() -> None:
    edges = library_edges()
    assert "mapping" in edges.get("privacy", set())  # the check sees the imports it judges
    assert not find_cycle(edges), " -> ".join(find_cycle(edges))


# --- the checks themselves can fail ------------------------------------------------------------------------

MADE_UP = (
    """
from flask import Blueprint
from . import journal
from .traject import helper
import smart_app.card

bp = Blueprint("made_up", __name__)


@bp.get("/short")
def short() -> str:
    return "ok"


@bp.route("/long", methods=["POST"])
def long() -> str:
"""
    + "    x = 1\n" * 45
    + """    return "ok"


def not_a_view() -> str:
"""
    + "    x = 1\n" * 45
    + """    return "ok"
"""
)


def test_checks_catch_what_they_look_for() -> None:
    tree = ast.parse(MADE_UP)
    assert defines_blueprint(tree)
    assert [name for name, _ in long_views(tree)] == ["long"]
    names = imported_modules(tree, "smart_app")
    assert {"smart_app.journal", "smart_app.traject", "smart_app.card", "flask"} <= names
    up = imported_modules(
        ast.parse("from .. import fhirjson\nfrom ..mapping import labels"), "hvol_fhir.transfer"
    )
    assert {"hvol_fhir.fhirjson", "hvol_fhir.mapping.labels"} <= up
    assert line_count(MADE_UP) > 90
    assert find_cycle({"mapping": {"privacy"}, "privacy": {"sealing"}, "sealing": {"mapping"}}) == [
        "mapping",
        "privacy",
        "sealing",
        "mapping",
    ]
    assert find_cycle({"privacy": {"mapping"}, "mapping": {"errors"}}) == []
