"""The carrier's prepared views: plaintext payloads and pre-hashed keys, per (family, month).

Protocol v2 keeps every payload in plaintext inside the carrier's own environment (DESIGN §3, §4):
nothing is encrypted at preparation, and nothing of it is ever sent. What preparation does is the
work that does not depend on a query:

* the payload table of every view family (:mod:`engine.views`), split by calendar month;
* ``H(k)`` of every record's join key ``(family, phone, period)``, hashed once here so that a query
  only raises stored points to its fresh scalar (DESIGN §4: hash-to-group is ~62 µs a key).

One file per (family, month), ``WS/carrier/views/<family>/<month>.npz`` (numpy's uncompressed
archive, no pickles): ``points`` (records × 32 bytes), ``days`` (the period of each record, as
day numbers since 1970 or month numbers), ``indptr`` and ``indices`` (the CSR payload slots).
``manifest.json`` lists every file with its SHA-256 and a digest of the inputs it was built from,
so an unchanged month is not rebuilt and a damaged file is refused on read. Files are written
atomically; the manifest last.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.wire.messages import POINT_BYTES
from engine.workspace import PartyFolder
from foundation.atomic import atomic_write_bytes, atomic_write_text
from foundation.errors import IntegrityError

__all__ = ["StoredMonth", "ViewStore"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class StoredMonth:
    """The records of one family in one month: points, period numbers and payload slots."""

    family: str
    month: str
    points: bytes
    days: IntArray
    indptr: IntArray
    indices: IntArray

    def __len__(self) -> int:
        return len(self.days)

    def point(self, row: int) -> bytes:
        """``H(k)`` of record ``row``."""
        return self.points[row * POINT_BYTES : (row + 1) * POINT_BYTES]

    def select(self, rows: IntArray) -> StoredMonth:
        """Only records ``rows`` (in that order)."""
        counts = np.diff(self.indptr)[rows]
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        indices = (
            np.concatenate([self.indices[self.indptr[r] : self.indptr[r + 1]] for r in rows])
            if len(rows)
            else np.zeros(0, np.int64)
        )
        points = b"".join(self.point(int(r)) for r in rows)
        return StoredMonth(
            self.family, self.month, points, self.days[rows], indptr, indices.astype(np.int64)
        )


def _slug(family: str) -> str:
    return re.sub(r"[^a-z0-9_.-]", "_", family)


class ViewStore:
    """Prepared months under ``WS/carrier/views``; the carrier's own folder only."""

    def __init__(self, folder: PartyFolder) -> None:
        self.root = folder.path("views")
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._manifest_path = self.root / "manifest.json"

    def manifest(self) -> dict[str, dict[str, dict[str, object]]]:
        """``family → month → {file, sha256, digest, records}``."""
        if not self._manifest_path.exists():
            return {}
        try:
            loaded: dict[str, dict[str, dict[str, object]]] = json.loads(
                self._manifest_path.read_text(encoding="utf-8")
            )
        except ValueError as err:
            raise IntegrityError(
                f"{self._manifest_path} is damaged; run 'crossmesh prepare' again"
            ) from err
        return loaded

    def months(self, family: str) -> tuple[str, ...]:
        """The prepared months of ``family``, sorted."""
        return tuple(sorted(self.manifest().get(family, {})))

    def digest_of(self, family: str, month: str) -> str | None:
        """The input digest a month was prepared from (None if it was not)."""
        entry = self.manifest().get(family, {}).get(month)
        return None if entry is None else str(entry["digest"])

    def write_months(self, months: list[StoredMonth], digests: list[str]) -> None:
        """Store months under new names, switch the manifest to them, then drop the old files.

        A month's file is named by its content's hash, so a preparation killed at any point
        leaves the manifest pointing at complete files only; files no manifest lists are
        removed by :meth:`clean`.
        """
        manifest = self.manifest()
        replaced = []
        for stored, digest in zip(months, digests, strict=True):
            blob = _encode(stored)
            checksum = hashlib.sha256(blob).hexdigest()
            name = f"{_slug(stored.family)}/{stored.month}.{checksum[:16]}.npz"
            atomic_write_bytes(self.root / name, blob)
            old = manifest.setdefault(stored.family, {}).get(stored.month)
            if old is not None and old["file"] != name:
                replaced.append(self.root / str(old["file"]))
            manifest[stored.family][stored.month] = {
                "file": name,
                "sha256": checksum,
                "digest": digest,
                "records": len(stored),
            }
        atomic_write_text(self._manifest_path, json.dumps(manifest, sort_keys=True, indent=1))
        for path in replaced:
            path.unlink(missing_ok=True)

    def drop_months(self, family: str, keep: set[str]) -> None:
        """Forget the months of ``family`` not in ``keep`` (no longer in the inputs)."""
        manifest = self.manifest()
        entries = manifest.get(family, {})
        gone = [
            self.root / str(entries.pop(month)["file"]) for month in sorted(set(entries) - keep)
        ]
        if gone:
            atomic_write_text(self._manifest_path, json.dumps(manifest, sort_keys=True, indent=1))
        for path in gone:
            path.unlink(missing_ok=True)

    def clean(self) -> None:
        """Remove files the manifest does not list (left by a killed preparation)."""
        listed = {
            str(entry["file"]) for months in self.manifest().values() for entry in months.values()
        }
        for path in self.root.rglob("*"):
            known = path == self._manifest_path or str(path.relative_to(self.root)) in listed
            if path.is_file() and not known:
                path.unlink()

    def read(self, family: str, month: str) -> StoredMonth:
        """One prepared month, checked against its manifest entry."""
        entry = self.manifest().get(family, {}).get(month)
        if entry is None:
            return StoredMonth(
                family, month, b"", np.zeros(0, np.int64), np.zeros(1, np.int64),
                np.zeros(0, np.int64),
            )  # fmt: skip
        path = self.root / str(entry["file"])
        try:
            blob = path.read_bytes()
        except OSError as err:
            raise IntegrityError(f"{path} is missing; run 'crossmesh prepare' again") from err
        if hashlib.sha256(blob).hexdigest() != entry["sha256"]:
            raise IntegrityError(f"{path} fails its checksum; run 'crossmesh prepare' again")
        return _decode(family, month, blob)


def _encode(stored: StoredMonth) -> bytes:
    buffer = io.BytesIO()
    points = np.frombuffer(stored.points, dtype=np.uint8).reshape(-1, POINT_BYTES)
    np.savez(buffer, points=points, days=stored.days, indptr=stored.indptr, indices=stored.indices)
    return buffer.getvalue()


def _decode(family: str, month: str, blob: bytes) -> StoredMonth:
    with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
        return StoredMonth(
            family,
            month,
            archive["points"].astype(np.uint8).tobytes(),
            archive["days"].astype(np.int64),
            archive["indptr"].astype(np.int64),
            archive["indices"].astype(np.int64),
        )
