"""S3 role-based outputs, isolated per organization; in memory, optionally mirrored to a state file.

Thread-safe because the threaded server handles requests concurrently. Reads
return deep copies so callers (tests included) cannot change stored state by accident.
With a ``StateFile`` every change is transactional: the new state is built beside the current one,
written to the file (under the lock, so writes never interleave), and only then swapped into memory.
A failed write raises ``StateWriteError`` and leaves memory as it was, so what is served always equals
what a restart would load. A new store starts from what the file holds.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .envelopes import utc_now
from .errors import StateWriteError
from .options import DEFAULT_ORG_ID
from .state_file import StateFile
from .validation import OUTPUT_TYPE

READ_ONLY_FIELDS = ("id", "createdAt", "modifiedAt", "type")


class OutputStore:
    """Outputs per organization plus the per-organization GLOBAL external ID."""

    def __init__(self, state_file: StateFile | None = None) -> None:
        self._lock = threading.RLock()
        self._by_org: dict[str, dict[str, dict[str, Any]]] = {}
        self._global_external_ids: dict[str, str] = {}
        self._state_file = state_file
        if state_file is not None:
            snapshot = state_file.load()
            if snapshot is not None:
                self._restore(snapshot, state_file)

    def create(self, fields: Mapping[str, Any], org_id: str = DEFAULT_ORG_ID) -> dict[str, Any]:
        """Store a new output as the API would; also usable by tests to seed state without HTTP.

        Assigns ``id``, ``type``, ``createdAt``/``modifiedAt``, defaults ``externalIdMode``
        to CUSTOM and fills ``externalId`` for GLOBAL (stable per org) and GENERATED (fresh).
        """
        (output,) = self.create_many([fields], org_id)
        return output

    def create_many(
        self, many: Iterable[Mapping[str, Any]], org_id: str = DEFAULT_ORG_ID
    ) -> list[dict[str, Any]]:
        """``create`` for each, in one change (one state file write): seeds 10,000 outputs in a second."""
        with self._lock:
            by_org, global_ids = self._draft()
            outputs = by_org.setdefault(org_id, {})
            made = []
            for fields in many:
                output = _new_output(fields, lambda: global_ids.setdefault(org_id, str(uuid.uuid4())))
                outputs[output["id"]] = output
                made.append(output)
            self._commit(by_org, global_ids)
            return copy.deepcopy(made)

    def get(self, output_id: str, org_id: str = DEFAULT_ORG_ID) -> dict[str, Any] | None:
        """The output with this id in this organization, or None."""
        with self._lock:
            output = self._by_org.get(org_id, {}).get(output_id)
            return copy.deepcopy(output) if output is not None else None

    def delete(self, output_id: str, org_id: str = DEFAULT_ORG_ID) -> dict[str, Any] | None:
        """Remove and return the output, or None when this organization has no such id."""
        with self._lock:
            if output_id not in self._by_org.get(org_id, {}):
                return None
            by_org, global_ids = self._draft()
            removed = by_org[org_id].pop(output_id)
            self._commit(by_org, global_ids)
            return copy.deepcopy(removed)

    def list(self, org_id: str = DEFAULT_ORG_ID) -> list[dict[str, Any]]:
        """Outputs of one organization in creation order."""
        with self._lock:
            return copy.deepcopy(list(self._by_org.get(org_id, {}).values()))

    def all(self) -> dict[str, list[dict[str, Any]]]:
        """Every organization that has outputs, mapped to its outputs."""
        with self._lock:
            return {org: copy.deepcopy(list(items.values())) for org, items in self._by_org.items() if items}

    def find(self, output_id: str) -> tuple[str, dict[str, Any]] | None:
        """Look an id up across organizations: ``(org_id, output)`` or None."""
        with self._lock:
            for org_id, items in self._by_org.items():
                if output_id in items:
                    return org_id, copy.deepcopy(items[output_id])
            return None

    def global_external_id(self, org_id: str = DEFAULT_ORG_ID) -> str:
        """The organization's GLOBAL external ID, created on first use."""
        with self._lock:
            known = self._global_external_ids.get(org_id)
            if known is not None:
                return known
            by_org, global_ids = self._draft()
            external_id = global_ids[org_id] = str(uuid.uuid4())
            self._commit(by_org, global_ids)
            return external_id

    def clear(self) -> None:
        """Forget all outputs and GLOBAL external IDs."""
        with self._lock:
            self._commit({}, {})

    # -- state file ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything the store knows, as JSON-ready data (what the state file holds)."""
        with self._lock:
            return copy.deepcopy(_snapshot(self._by_org, self._global_external_ids))

    def _draft(self) -> tuple[dict[str, dict[str, dict[str, Any]]], dict[str, str]]:
        """Copies of the state to build a change in; stored outputs are never changed in place."""
        return {org: dict(items) for org, items in self._by_org.items()}, dict(self._global_external_ids)

    def _commit(self, by_org: dict[str, dict[str, dict[str, Any]]], global_ids: dict[str, str]) -> None:
        """Write the new state to the state file, then (and only then) make it the served state.

        Called under the lock. If the write fails, ``StateWriteError`` is raised and memory is unchanged.
        """
        if self._state_file is not None:
            try:
                self._state_file.save(_snapshot(by_org, global_ids))
            except OSError as error:
                raise StateWriteError(self._state_file.path, error) from error
        self._by_org, self._global_external_ids = by_org, global_ids

    def _restore(self, snapshot: dict[str, Any], state_file: StateFile) -> None:
        outputs, global_ids = snapshot.get("outputs", {}), snapshot.get("globalExternalIds", {})
        if not isinstance(outputs, dict) or not all(
            isinstance(items, list)
            and all(isinstance(o, dict) and isinstance(o.get("id"), str) for o in items)
            for items in outputs.values()
        ):
            raise state_file.error("has no valid 'outputs' (organization id -> list of outputs with an id)")
        if not isinstance(global_ids, dict) or not all(isinstance(v, str) for v in global_ids.values()):
            raise state_file.error("has no valid 'globalExternalIds' (organization id -> external id)")
        self._by_org = {org: {o["id"]: o for o in items} for org, items in outputs.items()}
        self._global_external_ids = dict(global_ids)

    def __len__(self) -> int:
        """Number of outputs across all organizations."""
        with self._lock:
            return sum(len(items) for items in self._by_org.values())


def _new_output(fields: Mapping[str, Any], global_external_id: Callable[[], str]) -> dict[str, Any]:
    body = {k: copy.deepcopy(v) for k, v in fields.items() if k not in READ_ONLY_FIELDS and v is not None}
    mode = body.setdefault("externalIdMode", "CUSTOM")
    if mode == "GLOBAL":
        body["externalId"] = global_external_id()
    elif mode == "GENERATED":
        body["externalId"] = str(uuid.uuid4())
    now = utc_now()
    return {"id": str(uuid.uuid4()), "type": OUTPUT_TYPE, **body, "createdAt": now, "modifiedAt": now}


def _snapshot(by_org: Mapping[str, Mapping[str, Any]], global_ids: Mapping[str, str]) -> dict[str, Any]:
    """The state file's content for this state (shares the outputs: copy before handing it out)."""
    return {
        "outputs": {org: list(items.values()) for org, items in by_org.items() if items},
        "globalExternalIds": dict(global_ids),
    }
