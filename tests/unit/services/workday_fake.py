"""A small in-memory FHIR server for the read services of the working day (overview, traject page, start
pages): just the searches those services send, answered from resources the test builds with the library's own
mappers, with every round trip counted. The real server's behaviour is tested against the sandbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl

from hvol_fhir import fhirjson as f
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import careplan, careteam, encounter, task
from hvol_fhir.programme.model import CareTeam, Contact, Task, Traject


def _ref(node: Any) -> str:
    return str((node or {}).get("reference") or "") if isinstance(node, dict) else ""


def _refs(resource: Json, *keys: str) -> set[str]:
    out: set[str] = set()
    for key in keys:
        node = resource.get(key)
        for item in node if isinstance(node, list) else [node]:
            if isinstance(item, dict):
                out.add(_ref(item))
    return out


def _tokens(resource: Json, key: str) -> set[str]:
    node = resource.get(key)
    items = node if isinstance(node, list) else [node] if node else []
    return {f"{i.get('system')}|{i.get('value')}" for i in items if isinstance(i, dict)}


class FakeFhir:
    def __init__(self) -> None:
        self.store: dict[str, list[Json]] = {}
        self.round_trips = 0

    # --- building ------------------------------------------------------------------------------------------

    def add(self, resource: Json) -> Json:
        self.store.setdefault(resource["resourceType"], []).append(resource)
        return resource

    def patient(self, pid: str, name: str, birth: date | None = None) -> Json:
        given, family = name.split(" ", 1)
        res: Json = {"resourceType": "Patient", "id": pid, "name": [{"given": [given], "family": family}]}
        if birth:
            res["birthDate"] = birth.isoformat()
        return self.add(res)

    def practitioner(self, pid: str, name: str) -> Json:
        return self.add({"resourceType": "Practitioner", "id": pid, "name": [{"text": name}]})

    def traject(self, traject: Traject) -> Json:
        return self.add(f.dump(careplan.to_fhir(traject)))

    def team(self, team: CareTeam) -> Json:
        res = f.dump(careteam.to_fhir(team))
        res["status"] = "active"
        return self.add(res)

    def contact(self, contact: Contact, traject: Traject) -> Json:
        res = f.dump(encounter.to_fhir(contact, episode=f"EpisodeOfCare/ep-{traject.identifier}"))
        return self.add(res)

    def task(self, todo: Task) -> Json:
        return self.add(f.dump(task.to_fhir(todo)))

    def remove(self, resource_type: str, rid: str) -> None:
        self.store[resource_type] = [r for r in self.store.get(resource_type, []) if r.get("id") != rid]

    # --- the client's interface ----------------------------------------------------------------------------

    def read(self, resource_type: str, resource_id: str) -> Json:
        self.round_trips += 1
        for res in self.store.get(resource_type, []):
            if res.get("id") == resource_id:
                return res
        raise LookupError(f"{resource_type}/{resource_id}")

    def search(self, resource_type: str, params: Any = None) -> Json:
        self.round_trips += 1
        return self._search(resource_type, params)

    def batch(self, bundle: Mapping[str, Any]) -> Json:
        self.round_trips += 1
        entries = []
        for entry in bundle.get("entry") or []:
            path, _, query = entry["request"]["url"].partition("?")
            if "/" in path:  # a read
                rtype, _, rid = path.partition("/")
                hits = [r for r in self.store.get(rtype, []) if r.get("id") == rid]
                status = "200 OK" if hits else "404 Not Found"
                entries.append(
                    {"resource": hits[0], "response": {"status": status}}
                    if hits
                    else {"response": {"status": status}}
                )
                continue
            found = self._search(path, parse_qsl(query, keep_blank_values=True))
            entries.append({"resource": found, "response": {"status": "200 OK"}})
        return {"resourceType": "Bundle", "type": "batch-response", "entry": entries}

    # --- matching ------------------------------------------------------------------------------------------

    def _search(self, resource_type: str, params: Any) -> Json:
        pairs: Sequence[tuple[str, str]] = (
            [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
            if isinstance(params, Mapping)
            else list(params or [])
        )
        matches = [
            r for r in self.store.get(resource_type, []) if all(self._match(r, k, v) for k, v in pairs)
        ]
        offset = int(next((v for k, v in pairs if k == "_offset"), "0"))
        count = int(next((v for k, v in pairs if k == "_count"), "50"))
        page = matches[offset : offset + count]
        entries: list[Json] = [{"resource": r, "search": {"mode": "match"}} for r in page]
        for key, value in pairs:
            if key == "_include":
                entries += [
                    {"resource": r, "search": {"mode": "include"}} for r in self._included(page, value)
                ]
        links = [{"relation": "next", "url": "x"}] if offset + count < len(matches) else []
        return {"resourceType": "Bundle", "type": "searchset", "entry": entries, "link": links}

    def _included(self, page: list[Json], what: str) -> list[Json]:
        key = {
            "CarePlan:subject": "subject",
            "CarePlan:care-team": "careTeam",
            "Task:patient": "for",
            "CareTeam:patient": "subject",
        }[what]
        refs = {ref for r in page for ref in _refs(r, key)}
        out = []
        for ref in sorted(refs):
            rtype, _, rid = ref.partition("/")
            out += [r for r in self.store.get(rtype, []) if r.get("id") == rid]
        return out

    def _match(self, r: Json, key: str, value: str) -> bool:
        if key.startswith("_") and key != "_id":
            return True
        if key == "_id":
            return str(r.get("id")) in value.split(",")
        if key in ("patient", "subject"):
            return value in _refs(r, "subject", "for", "patient")
        if key == "participant":
            return any(_ref(p.get("member")) == value for p in r.get("participant") or [])
        if key == "status":
            return str(r.get("status")) in value.split(",")
        if key == "focus":
            return value in _refs(r, "focus")
        if key == "focus:CarePlan.identifier":
            plans = [p for p in self.store.get("CarePlan", []) if value in _tokens(p, "identifier")]
            return any(f"CarePlan/{p.get('id')}" in _refs(r, "focus") for p in plans)
        if key == "episode-of-care.identifier":
            return f"EpisodeOfCare/ep-{value.split('|', 1)[1]}" in _refs(r, "episodeOfCare")
        if key == "identifier":
            return value in _tokens(r, "identifier")
        if key in ("code", "category"):
            node = r.get(key)
            concepts = node if isinstance(node, list) else [node] if node else []
            codings = [c for cc in concepts if isinstance(cc, dict) for c in cc.get("coding") or []]
            return value in {f"{c.get('system')}|{c.get('code')}" for c in codings}
        if key == "date":
            start = str((r.get("period") or {}).get("start") or "")
            return start[:10] >= value[2:12] if value.startswith("ge") else True
        return True


def at_id(resources: list[Json], resource_type: str) -> list[str]:
    return [str(r.get("id")) for r in resources if r.get("resourceType") == resource_type]


def stamp(moment: datetime) -> str:
    return moment.isoformat()
