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
``manifest.json`` lists every file with its SHA-256, its MAC and a digest of the inputs it was
built from, so an unchanged month is not rebuilt and a damaged file is refused on read. Files are
written atomically; the manifest last.

**Keyed MACs.** A view decides what a release counts, so a file edited to add or drop records
would change results while its manifest's SHA-256 could simply be recomputed. Every file therefore
carries an HMAC-SHA256 under the carrier's MAC key (``WS/carrier/keys/mac.key``,
:mod:`engine.keyring`) over its family, month and bytes — so a file cannot be moved to another
month either — and the manifest carries one over its entries. The MAC is checked on every read:
the file is read anyway, and one HMAC pass costs about what the SHA-256 did. A file that fails is
refused with a message pointing to ``crossmesh repair``, which rebuilds it from the inputs.

**Writers and readers.** Writes hold the carrier folder's exclusive lock
(:meth:`~engine.workspace.PartyFolder.lock`; re-entrant, so ``prepare`` holds it throughout).
Files are content-addressed and never rewritten in place, and the manifest is swapped
atomically, so a reader always sees one complete manifest whose files exist; the carrier reads a
query's months under the shared lock so that no ``prepare`` removes a superseded file between its
reading the manifest and reading the file.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engine.keyring import KeyRing
from engine.wire.messages import POINT_BYTES
from engine.workspace import PartyFolder
from foundation.atomic import atomic_write_bytes, atomic_write_text
from foundation.errors import IntegrityError
from foundation.faults import fault_point

__all__ = ["StoreProblem", "StoredMonth", "ViewStore"]

IntArray = npt.NDArray[np.int64]
Manifest = dict[str, dict[str, dict[str, object]]]
MANIFEST_FORMAT = "crossmesh-views/2"


@dataclass(frozen=True)
class StoreProblem:
    """A stored view file (or the manifest) that is missing, damaged, forged or left over."""

    path: Path
    problem: str
    family: str | None = None
    month: str | None = None


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

    def __init__(self, folder: PartyFolder, keyring: KeyRing) -> None:
        self.folder = folder
        self.keyring = keyring
        self.root = folder.path("views")
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._manifest_path = self.root / "manifest.json"

    def _repair_hint(self) -> str:
        return (
            f"run 'crossmesh repair --party carrier --workspace {self.folder.root.parent} "
            "--data DATA' to rebuild it from the carrier's inputs"
        )

    def manifest(self) -> Manifest:
        """``family → month → {file, sha256, mac, digest, records}``, its MAC checked."""
        if not self._manifest_path.exists():
            return {}
        try:
            document = json.loads(self._manifest_path.read_text(encoding="utf-8"))
            months: Manifest = document["months"]
            signed = document["format"] == MANIFEST_FORMAT and hmac.compare_digest(
                str(document["mac"]), self._manifest_mac(months)
            )
        except (ValueError, KeyError, TypeError) as err:
            raise IntegrityError(
                f"{self._manifest_path} is damaged or was written by an older Crossmesh; "
                f"{self._repair_hint()}"
            ) from err
        if not signed:
            raise IntegrityError(
                f"{self._manifest_path} fails its MAC (damaged or edited); {self._repair_hint()}"
            )
        return months

    def _manifest_mac(self, months: Manifest) -> str:
        return self.keyring.mac("views-manifest", json.dumps(months, sort_keys=True).encode())

    def _file_mac(self, family: str, month: str, blob: bytes) -> str:
        return self.keyring.mac("view", family.encode(), month.encode(), blob)

    def _write_manifest(self, months: Manifest) -> None:
        document = {"format": MANIFEST_FORMAT, "months": months, "mac": self._manifest_mac(months)}
        atomic_write_text(self._manifest_path, json.dumps(document, sort_keys=True, indent=1))
        fault_point("views.manifest-written")

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
        with self.folder.lock("view building"):
            manifest = self.manifest()
            replaced = []
            for stored, digest in zip(months, digests, strict=True):
                blob = _encode(stored)
                checksum = hashlib.sha256(blob).hexdigest()
                name = f"{_slug(stored.family)}/{stored.month}.{checksum[:16]}.npz"
                atomic_write_bytes(self.root / name, blob)
                fault_point("views.month-written")
                old = manifest.setdefault(stored.family, {}).get(stored.month)
                if old is not None and old["file"] != name:
                    replaced.append(self.root / str(old["file"]))
                manifest[stored.family][stored.month] = {
                    "file": name,
                    "sha256": checksum,
                    "mac": self._file_mac(stored.family, stored.month, blob),
                    "digest": digest,
                    "records": len(stored),
                }
            self._write_manifest(manifest)
            for path in replaced:
                path.unlink(missing_ok=True)

    def drop_months(self, family: str, keep: set[str]) -> None:
        """Forget the months of ``family`` not in ``keep`` (no longer in the inputs)."""
        with self.folder.lock("view building"):
            manifest = self.manifest()
            entries = manifest.get(family, {})
            gone = [
                self.root / str(entries.pop(month)["file"]) for month in sorted(set(entries) - keep)
            ]
            if gone:
                self._write_manifest(manifest)
            for path in gone:
                path.unlink(missing_ok=True)

    def clean(self) -> list[Path]:
        """Remove files the manifest does not list (left by a killed preparation); return them."""
        with self.folder.lock("view building"):
            listed = {
                str(entry["file"])
                for months in self.manifest().values()
                for entry in months.values()
            }
            gone = []
            for path in sorted(self.root.rglob("*")):
                known = path == self._manifest_path or str(path.relative_to(self.root)) in listed
                if path.is_file() and not known:
                    path.unlink()
                    gone.append(path)
            return gone

    def read(self, family: str, month: str) -> StoredMonth:
        """One prepared month, checked against its manifest entry (its MAC)."""
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
            raise IntegrityError(f"{path} is missing; {self._repair_hint()}") from err
        if not hmac.compare_digest(self._file_mac(family, month, blob), str(entry["mac"])):
            raise IntegrityError(f"{path} fails its MAC (damaged or edited); {self._repair_hint()}")
        return _decode(family, month, blob)

    # -- verify and repair --------------------------------------------------------------------
    def problems(self) -> Iterator[StoreProblem]:
        """Every stored file that is missing, damaged, forged or not listed (for ``verify``)."""
        if not self._manifest_path.exists():
            yield StoreProblem(self._manifest_path, f"{self._manifest_path} is missing")
            return
        try:
            manifest = self.manifest()
        except IntegrityError as err:
            yield StoreProblem(self._manifest_path, str(err).split(";")[0])
            return
        listed = set()
        for family, months in sorted(manifest.items()):
            for month, entry in sorted(months.items()):
                path = self.root / str(entry["file"])
                listed.add(path)
                problem = self._file_problem(family, month, entry, path)
                if problem is not None:
                    yield StoreProblem(path, problem, family, month)
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path != self._manifest_path and path not in listed:
                yield StoreProblem(path, f"{path} is not listed in the manifest (a leftover)")

    def _file_problem(
        self, family: str, month: str, entry: dict[str, object], path: Path
    ) -> str | None:
        try:
            blob = path.read_bytes()
        except OSError:
            return f"{path} is missing"
        if hashlib.sha256(blob).hexdigest() != entry["sha256"]:
            return f"{path} fails its checksum (damaged)"
        if not hmac.compare_digest(self._file_mac(family, month, blob), str(entry["mac"])):
            return f"{path} fails its MAC (written with another key, or forged)"
        return None

    def forget(self, problems: list[StoreProblem]) -> None:
        """Drop the manifest entries of damaged months (or the whole manifest if it is damaged),
        so that the next preparation rebuilds them; files not listed then go with :meth:`clean`."""
        with self.folder.lock("repair"):
            if any(problem.path == self._manifest_path for problem in problems):
                self._manifest_path.unlink(missing_ok=True)
                return
            manifest = self.manifest()
            for problem in problems:
                if problem.family is not None and problem.month is not None:
                    manifest.get(problem.family, {}).pop(problem.month, None)
            self._write_manifest(manifest)


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
