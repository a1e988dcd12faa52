"""Walking every page a role can reach, for the look and accessibility tests (issue 15).

`walk` starts at a role's landing page after a launch and follows same-origin GET links under the launch's
own path (`/l/<launch>/`), breadth first and bounded, so pages that others add later are checked without
naming them here. Links to files (SVG, CSV) and to other windows are not pages and are skipped; a page
shape (ids replaced by a placeholder, query values dropped) is visited once, so paging and sorting links do
not eat the budget.

`axe_violations` injects axe-core (vendored from npm, tests/browser/vendor/) into the page and runs the
WCAG 2.0/2.1 A and AA rules. `visible_ids` finds what must never be on screen: rule ids (P-…) and the
record's ids (hv-buddy-1, Practitioner/…, Patient/…).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NOT_PAGES = re.compile(r"\.(svg|csv|json|png|pdf)$|/rapport\.csv|/static/", re.I)
ID_SEGMENT = re.compile(r"(?<=/)[^/]*\d[^/]*(?=/|$)")  # a path segment with a digit in it is an id
# What no user should read: the programme's rule ids and the record's technical ids.
RULE_ID = re.compile(r"\bP-[A-Z0-9]{2,}(?:-[A-Z0-9]+)*\b")
RECORD_ID = re.compile(
    r"\b(?:Practitioner|PractitionerRole|Patient|CarePlan|CareTeam|Encounter|Communication)/[\w.-]+"
    r"|\bhv-(?:buddy|coach|coordinator|mentor|staff|behavioural|youth|traject|team)[\w-]*",
)


@dataclass
class Visited:
    url: str
    title: str
    text: str = ""
    violations: list[dict[str, Any]] = field(default_factory=list)
    ids_on_screen: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)


def shape(url: str) -> str:
    """A page's shape: path with ids replaced, query keys only (`?vanaf=20` and `?vanaf=40` are one shape)."""
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return ID_SEGMENT.sub("{id}", parts.path) + ("?" + "&".join(keys) if keys else "")


def same_launch_links(driver: Any, prefix: str) -> list[str]:
    """GET links on the current page that stay under `prefix` (the launch's own pages)."""
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]'))"
        ".filter(a => !a.target && !a.hasAttribute('download')).map(a => a.href);"
    )
    out = []
    for href in hrefs:
        url = href.split("#", 1)[0]
        if url.startswith(prefix) and not NOT_PAGES.search(urlsplit(url).path):
            out.append(url)
    return out


def walk(driver: Any, prefix: str, *, extra: tuple[str, ...] = (), limit: int = 40) -> Iterator[str]:
    """Load each reachable page once (by shape), yielding after it loaded so the caller can check it."""
    queue: deque[str] = deque([driver.current_url, *extra])
    seen: set[str] = set()
    while queue and len(seen) < limit:
        url = queue.popleft()
        if shape(url) in seen:
            continue
        seen.add(shape(url))
        if driver.current_url != url:
            driver.get(url)
        yield url
        queue.extend(same_launch_links(driver, prefix))


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 AA violations of the current page: rule, impact, help and the failing nodes."""
    driver.set_script_timeout(60)
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
        WCAG_AA,
    )
    return list(result)


def visible_ids(text: str) -> list[str]:
    """Rule ids and record ids in a page's visible text."""
    found = {m.group(0) for m in RULE_ID.finditer(text)} | {m.group(0) for m in RECORD_ID.finditer(text)}
    return sorted(found)


def query(url: str, **params: str) -> str:
    """`url` with `params` set in its query (a range switch, a page)."""
    parts = urlsplit(url)
    merged = dict(parse_qsl(parts.query)) | params
    return parts._replace(query=urlencode(merged)).geturl()


def broken_links(driver: Any, prefix: str, checked: set[str], per_shape: int = 3) -> list[str]:
    """Links on the current page not checked before, at most `per_shape` per page shape over the whole walk
    (three of a traject's seventy "wijzig" links, three of the overview's trajects), fetched one by one from
    the page with its own cookie: those that do not answer 200, as "status url"."""
    todo = []
    for url in sorted(set(same_launch_links(driver, prefix)) - checked):
        if sum(1 for seen in checked if shape(seen) == shape(url)) < per_shape:
            checked.add(url)
            todo.append(url)
    if not todo:
        return []
    driver.set_script_timeout(30 + 10 * len(todo))
    answers = driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; const out = [];"
        "(async () => { for (const u of arguments[0]) {"
        " try { let r = await fetch(u, {credentials: 'same-origin'});"
        "   if (r.status >= 500) { await new Promise(t => setTimeout(t, 3000));"
        "     r = await fetch(u, {credentials: 'same-origin'}); }"  # once more: a busy test machine's 503
        "   out.push([r.status, u]); }"
        " catch (e) { out.push([0, u]); } } done(out); })();",
        todo,
    )
    return [f"{status} {url}" for status, url in answers if status != 200]
