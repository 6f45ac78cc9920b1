"""The anchor: what a workspace remembers, outside the ledger file, about the ledgers it used.

Deleting a ledger, replacing it with a fresh one, or cutting rows off the end of its chain would
each give budget back, and none of them can be seen from inside the file. So each party keeps,
in its workspace folder, ``WS/<party>/ledger-anchor.json``::

    {"format": 1, "current": "<dataset id>",
     "ledgers": {"<dataset id>": {"path": "…/<dataset id>.sqlite", "ledger_id": "…",
                                  "head_seq": 42, "head_mac": "…", "months": ["2025-08", …]}}}

:class:`WorkspaceAnchor` advances the head after every write (never backwards, under a file
lock, so concurrent processes cannot move it back), and :func:`check_anchor` refuses a ledger
that is missing, is another ledger than the one recorded, or no longer holds the recorded head.
``months`` are the months of the party's prepared data, so that ``crossmesh budget`` can show
their default totals before the first release. The anchor holds no secret and no count.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from foundation.errors import IntegrityError

__all__ = ["ANCHOR_FILE", "AnchorEntry", "WorkspaceAnchor", "missing_ledger_error"]

ANCHOR_FILE = "ledger-anchor.json"
_FORMAT = 1


@dataclass(frozen=True)
class AnchorEntry:
    """What a workspace recorded about the ledger of one dataset."""

    dataset_id: str
    path: str
    ledger_id: str
    head_seq: int
    head_mac: str
    months: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.head_seq < 0 or not self.ledger_id or not self.path:
            raise IntegrityError(
                f"the ledger anchor for dataset {self.dataset_id[:12]}… is damaged"
            )


@dataclass(frozen=True)
class WorkspaceAnchor:
    """One party's anchor file in its workspace folder."""

    path: Path

    def _read(self) -> dict[str, Any]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"format": _FORMAT, "current": None, "ledgers": {}}
        except (OSError, ValueError) as error:
            raise IntegrityError(
                f"the ledger anchor {self.path} cannot be read ({error})"
            ) from error
        if not isinstance(document, dict) or document.get("format") != _FORMAT:
            raise IntegrityError(f"the ledger anchor {self.path} is not a Crossmesh anchor")
        return document

    def entry(self, dataset_id: str) -> AnchorEntry | None:
        """The recorded ledger of ``dataset_id``, or None."""
        found = self._read()["ledgers"].get(dataset_id)
        return _entry(dataset_id, found) if found is not None else None

    def current(self) -> AnchorEntry | None:
        """The ledger of the dataset the workspace was last opened with, or None."""
        document = self._read()
        chosen = document.get("current")
        found = document["ledgers"].get(chosen) if chosen else None
        return _entry(str(chosen), found) if found is not None else None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = self.path.with_name(self.path.name + ".lock")
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            document = self._read()
            yield document
            temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            with temporary.open("w", encoding="utf-8") as out:
                json.dump(document, out, indent=1, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)

    def advance(self, entry: AnchorEntry) -> None:
        """Record ``entry`` as current; its head only if it is further on than the recorded one."""
        with self._locked() as document:
            old = document["ledgers"].get(entry.dataset_id)
            if old is not None and old["ledger_id"] == entry.ledger_id:
                if int(old["head_seq"]) >= entry.head_seq:
                    entry = replace(entry, head_seq=int(old["head_seq"]), head_mac=old["head_mac"])
                entry = replace(entry, months=tuple(old.get("months", ())) or entry.months)
            document["ledgers"][entry.dataset_id] = _document(entry)
            document["current"] = entry.dataset_id

    def note_months(self, dataset_id: str, months: tuple[str, ...]) -> None:
        """Record the months of the party's prepared data (shown by ``crossmesh budget``)."""
        with self._locked() as document:
            found = document["ledgers"].get(dataset_id)
            if found is not None:
                found["months"] = sorted(set(months))


def _entry(dataset_id: str, found: dict[str, Any]) -> AnchorEntry:
    try:
        return AnchorEntry(
            dataset_id,
            str(found["path"]),
            str(found["ledger_id"]),
            int(found["head_seq"]),
            str(found["head_mac"]),
            tuple(str(month) for month in found.get("months", ())),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise IntegrityError(
            f"the ledger anchor for dataset {dataset_id[:12]}… is damaged ({error})"
        ) from error


def _document(entry: AnchorEntry) -> dict[str, Any]:
    return {
        "path": entry.path,
        "ledger_id": entry.ledger_id,
        "head_seq": entry.head_seq,
        "head_mac": entry.head_mac,
        "months": list(entry.months),
    }


def missing_ledger_error(anchor: Path, entry: AnchorEntry) -> IntegrityError:
    """The refusal for a ledger that the anchor at ``anchor`` recorded but that is gone."""
    return IntegrityError(
        f"the ledger {entry.path} is missing, but {anchor} records that it existed for this "
        f"dataset (ledger {entry.ledger_id[:12]}…, {entry.head_seq} chain links). Crossmesh will "
        "not start a fresh budget for data it may already have released from: restore the "
        "ledger file and its keys/ folder from your backup"
    )
