"""An in-memory FHIR server behind the FhirClient methods the services use, for unit tests of the services.

What it keeps of a real server's behaviour, because the services rely on it: a transaction is all or
nothing; ``urn:uuid:`` fullUrls are replaced by the server's ids in resources and in ``ifNoneExist``
conditions (HAPI resolves placeholders before matching); a conditional create matches on ``identifier``,
``entity``, ``subtype`` and ``date``; ``If-Match`` is checked (412 -> VersionConflict); searches of the
journal answer with the matching Communications. Communications read back carry the seal status the app's
codec would leave ("sealed": written by the app). Faults: ``fail(operation, error, after=False)`` raises
``error`` at the next such call, before the server stored anything, or after (a lost answer).
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from hvol_fhir.ehr import EhrNotFound, VersionConflict
from hvol_fhir.ehr.client import CreateResult
from hvol_fhir.ehr.errors import EhrError
from hvol_fhir.fhirjson import Json
from hvol_fhir.sealing.codec import EXT_STATUS

BASE = "https://ehr.test/fhir"


def _refs(resource: Json, key: str) -> list[str]:
    return [str((e.get("what") or {}).get("reference")) for e in resource.get(key) or []]


def _matches(resource: Json, params: list[tuple[str, str]]) -> bool:
    for name, value in params:
        value = unquote(value)
        if name == "identifier":
            system, _, code = value.partition("|")
            found = resource.get("identifier") or []
            found = [found] if isinstance(found, dict) else found  # QuestionnaireResponse has one
            if not any(i.get("system") == system and i.get("value") == code for i in found):
                return False
        elif name == "entity" and value not in _refs(resource, "entity"):
            return False
        elif name == "subtype" and value not in [s.get("code") for s in resource.get("subtype") or []]:
            return False
        elif name == "date" and datetime.fromisoformat(resource["recorded"]) != datetime.fromisoformat(value):
            return False
        elif name == "patient" and value != (resource.get("subject") or {}).get("reference", value):
            return False
        elif name == "based-on" and value not in [b.get("reference") for b in resource.get("basedOn") or []]:
            return False
    return True


@dataclass
class FakeFhir:
    base_url: str = BASE
    store: dict[str, dict[str, Json]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)  # one per round trip: "transaction", "create", ...
    faults: dict[str, list[tuple[EhrError, bool]]] = field(default_factory=dict)

    # --- set-up and inspection ----------------------------------------------------------------------------

    def fail(self, operation: str, error: EhrError, *, after: bool = False) -> None:
        self.faults.setdefault(operation, []).append((error, after))

    def all(self, resource_type: str) -> list[Json]:
        return list(self.store.get(resource_type, {}).values())

    def put(self, resource: Json) -> Json:
        """Store ``resource`` as it is (seed data), with a version."""
        stored = copy.deepcopy(resource)
        stored.setdefault("id", uuid.uuid4().hex[:12])
        stored.setdefault("meta", {})["versionId"] = stored.get("meta", {}).get("versionId", "1")
        self.store.setdefault(stored["resourceType"], {})[stored["id"]] = stored
        return stored

    # --- the FhirClient methods ---------------------------------------------------------------------------

    def _fault(self, operation: str) -> tuple[EhrError, bool] | None:
        queue = self.faults.get(operation) or []
        return queue.pop(0) if queue else None

    def _run(self, operation: str, work: Any) -> Any:
        self.calls.append(operation)
        fault = self._fault(operation)
        if fault and not fault[1]:
            raise fault[0]
        result = work()
        if fault:
            raise fault[0]  # it landed; the answer is lost
        return result

    def read(self, resource_type: str, resource_id: str) -> Json:
        def work() -> Json:
            stored = self.store.get(resource_type, {}).get(resource_id)
            if stored is None:  # as the client answers a 404
                raise EhrNotFound(ehr_status=404)
            return self._out(stored)

        return dict(self._run("read", work))

    def create(self, resource: Json, *, if_none_exist: str | None = None) -> CreateResult:
        def work() -> CreateResult:
            status, stored = self._post(self.store, resource, if_none_exist)
            ref = f"{stored['resourceType']}/{stored['id']}"
            return CreateResult(self._out(stored), status == 201, ref)

        result: CreateResult = self._run("create", work)
        return result

    def transaction(self, bundle: Json) -> Json:
        return dict(self._run("transaction", lambda: self._transaction(bundle)))

    def batch(self, bundle: Json) -> Json:
        def work() -> Json:
            entries = []
            for e in bundle["entry"]:
                path, _, query = e["request"]["url"].partition("?")
                page = self._search(path, parse_qsl(query))
                entries.append({"resource": page, "response": {"status": "200 OK"}})
            return {"resourceType": "Bundle", "type": "batch-response", "entry": entries}

        return dict(self._run("batch", work))

    def search(self, resource_type: str, params: Any = None) -> Json:
        items = list(params.items()) if isinstance(params, dict) else list(params or [])
        return dict(self._run("search", lambda: self._search(resource_type, items)))

    def search_all(self, resource_type: str, params: Any = None) -> Any:
        page = self.search(resource_type, params)
        return iter([e["resource"] for e in page["entry"]])

    # --- the server -----------------------------------------------------------------------------------------

    def _search(self, resource_type: str, params: list[tuple[str, str]]) -> Json:
        if any(k == "_offset" and v != "0" for k, v in params):
            found: list[Json] = []
        else:
            found = [r for r in self.all(resource_type) if _matches(r, params)]
        entries = [{"resource": self._out(r), "search": {"mode": "match"}} for r in found]
        return {"resourceType": "Bundle", "type": "searchset", "entry": entries}

    def _out(self, stored: Json) -> Json:
        out = copy.deepcopy(stored)
        if out["resourceType"] == "Communication":  # what the app's codec notes on an entry it opened
            out["meta"].setdefault("extension", []).append({"url": EXT_STATUS, "valueString": "sealed"})
        return out

    def _post(
        self, store: dict[str, dict[str, Json]], resource: Json, condition: str | None
    ) -> tuple[int, Json]:
        kind = resource["resourceType"]
        if condition:
            found = [r for r in store.get(kind, {}).values() if _matches(r, parse_qsl(condition))]
            if found:
                return 200, found[0]
        stored = copy.deepcopy(resource)
        stored["id"] = uuid.uuid4().hex[:12]
        stored.setdefault("meta", {})["versionId"] = "1"
        store.setdefault(kind, {})[stored["id"]] = stored
        return 201, stored

    def _transaction(self, bundle: Json) -> Json:
        work = copy.deepcopy(self.store)  # all or nothing: only a finished transaction replaces the store
        names: dict[str, str] = {}
        answers = []
        for entry in bundle["entry"]:
            text = json.dumps(entry)
            for urn, ref in names.items():
                text = text.replace(urn, ref)
            entry = json.loads(text)
            request, resource = entry["request"], entry.get("resource")
            if request["method"] == "POST":
                status, stored = self._post(work, resource, request.get("ifNoneExist"))
            else:
                kind, rid = request["url"].split("/")
                current = work[kind][rid]
                wanted = request.get("ifMatch", "").removeprefix('W/"').rstrip('"')
                if wanted and wanted != current["meta"]["versionId"]:
                    raise VersionConflict(ehr_status=412)
                stored = copy.deepcopy(resource)
                stored["meta"] = {
                    **stored.get("meta", {}),
                    "versionId": str(int(current["meta"]["versionId"]) + 1),
                }
                work[kind][rid] = stored
                status = 200
            ref = f"{stored['resourceType']}/{stored['id']}"
            if entry.get("fullUrl", "").startswith("urn:uuid:"):
                names[entry["fullUrl"]] = ref
            answers.append(
                {
                    "resource": self._out(stored),
                    "response": {
                        "status": f"{status}",
                        "location": f"{ref}/_history/{stored['meta']['versionId']}",
                    },
                }
            )
        self.store = work
        return {"resourceType": "Bundle", "type": "transaction-response", "entry": answers}
