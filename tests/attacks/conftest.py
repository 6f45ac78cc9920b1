"""Attack-test kit: open a tiny two-party world, spy on a party, and know the truth omnisciently.

The attacks play one party (or an observer of the wire) against the other. They see only what that
party receives or holds; *this* module also plays the omniscient referee that knows the real
answer — from the carrier's prepared plaintext views and the airline's cohort — so that a test can
say how far the attacker's best guess is from the truth.

Test modules get the kit through the ``kit`` fixture (the suite imports with
``--import-mode=importlib``, so a helper module cannot be imported by name).

Spies (:class:`Spy`) patch the parties' methods while a module's queries run:

* ``noise[party]`` — every noise vector :meth:`NoiseMechanism.sample` drew, tagged by the party
  module that asked (``airline`` = ``N_A``, ``carrier`` = ``N_C``);
* ``decrypted`` — per query, what the airline decrypted (exact + ``N_C``), groups × slots;
* ``views[query_id]`` — per query, what a curious airline computes from the scope it receives:
  the scope points, the points raised to ``a_q`` and the cohort groups each position matched.

Keys are 1024-bit (the carrier is told to accept them here; the product refuses below 2048)
so that the whole folder runs in about a minute
on two cores; nothing tested here depends on the modulus size.
"""

from __future__ import annotations

import datetime as dt
import inspect
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from engine.crypto.blinding import JoinKey, hash_many_to_group
from engine.dp.mechanisms import NoiseMechanism
from engine.ledger.values import Scope
from engine.parties.airline import AirlineParty
from engine.parties.cohorts import build_cohort
from engine.queries import QuerySpec
from engine.queries.shapes import QueryShape, ScopeBlock, shape_of
from engine.session import SecureSession, SessionSettings
from engine.wire.channel import Transcript, TranscriptEntry
from engine.wire.messages import POINT_BYTES, Message, decode_message

KEY_BITS = 1024
BUDGET = 1e4
MONTHS = tuple(f"{year}-{month:02d}" for year in (2024, 2025, 2026) for month in range(1, 13))
EPOCH = dt.date(1970, 1, 1)


# -- the world -----------------------------------------------------------------------------------
def open_world(root: Path, tiny_dir: Path, transcript: Transcript | None = None) -> SecureSession:
    """A prepared session on the tiny world with large budgets on both ledgers (tests only)."""
    session = SecureSession(
        root,
        tiny_dir,
        SessionSettings(key_bits=KEY_BITS, min_peer_key_bits=KEY_BITS),
        transcript=transcript,
    )
    session.prepare()
    for ledger in (session.airline.ledger, session.carrier.ledger):
        for month in MONTHS:
            for pair in ("airline+carrier", "carrier"):
                ledger.set_budget(Scope(pair, month), BUDGET, "attack-test")
    return session


def visit_spec(start: str = "2025-08-01", end: str = "2025-08-12", **extra: Any) -> QuerySpec:
    """An SHM query of the tiny world (visit-map unless ``kind`` says otherwise)."""
    fields: dict[str, Any] = {"kind": "visit-map", "airport": "SHM", "days": 3, "epsilon": 1.0}
    fields.update(extra)
    return QuerySpec(start=start, end=end, **fields)


# -- reading the wire ----------------------------------------------------------------------------
def split_points(blob: bytes) -> list[bytes]:
    """The 32-byte points of a packed blob."""
    return [blob[i : i + POINT_BYTES] for i in range(0, len(blob), POINT_BYTES)]


def messages_of(entries: list[TranscriptEntry], kind: str) -> list[Any]:
    """The decoded messages of one kind, in order."""
    return [decode_message(entry.payload) for entry in entries if entry.kind == kind]


def query_entries(transcript: Transcript, query_id: str) -> list[TranscriptEntry]:
    """The entries of one query (every v2 message but the key carries its query id)."""
    found = []
    for entry in transcript.entries:
        message: Message = decode_message(entry.payload)
        if getattr(message, "query_id", None) == query_id:
            found.append(entry)
    return found


def last_query_id(transcript: Transcript) -> str:
    """The id of the last query request on the wire."""
    return str(messages_of(transcript.entries, "query_request")[-1].query_id)


# -- the omniscient referee ----------------------------------------------------------------------
def _block_records(session: SecureSession, shape: QueryShape, block: ScopeBlock) -> Any:
    """The carrier's stored records of one scope block (read straight from its view store)."""
    stored = session.carrier.store.read(shape.family.name, block.month)
    if block.first_day is None:
        return stored
    first = (dt.date.fromisoformat(f"{block.month}-{block.first_day:02d}") - EPOCH).days
    last = (dt.date.fromisoformat(f"{block.month}-{block.last_day:02d}") - EPOCH).days
    return stored.select(np.flatnonzero((stored.days >= first) & (stored.days <= last)))


def scope_records(session: SecureSession, spec: QuerySpec) -> dict[bytes, np.ndarray]:
    """``H(k)`` → compact payload slots of every carrier record in the query's scope."""
    shape = shape_of(spec)
    compact = np.full(shape.family.size, -1, dtype=np.int64)
    compact[shape.slots] = np.arange(len(shape.slots))
    records: dict[bytes, np.ndarray] = {}
    for block in shape.scope:
        stored = _block_records(session, shape, block)
        for row in range(len(stored)):
            mapped = compact[stored.indices[stored.indptr[row] : stored.indptr[row + 1]]]
            point = stored.point(row)
            assert point not in records, "the carrier holds two records with one key"
            records[point] = mapped[mapped >= 0]
    return records


def scope_record_count(session: SecureSession, spec: QuerySpec) -> dict[str, int]:
    """True records per scope block (block key → count)."""
    shape = shape_of(spec)
    return {b.key: len(_block_records(session, shape, b)) for b in shape.scope}


def cohort_points(session: SecureSession, spec: QuerySpec) -> list[dict[bytes, tuple[str, str]]]:
    """Per group of the airline's cohort: ``H(k)`` → the key ``(phone, period)``."""
    shape = shape_of(spec)
    cohort = build_cohort(shape, session.airline.inputs)
    groups = []
    for group in cohort.groups:
        keys = sorted(group.keys)
        hashed = hash_many_to_group(
            [JoinKey(shape.family.name, phone, period) for phone, period in keys], workers=2
        )
        groups.append(dict(zip(hashed, keys, strict=True)))
    return groups


def real_matches(session: SecureSession, spec: QuerySpec) -> list[int]:
    """Per group: how many cohort keys the carrier holds a scope record of (the secret count)."""
    records = scope_records(session, spec)
    return [sum(point in records for point in group) for group in cohort_points(session, spec)]


def exact_sums(session: SecureSession, spec: QuerySpec) -> np.ndarray:
    """The exact groups × slots sums the protocol computes under encryption (no noise)."""
    shape = shape_of(spec)
    records = scope_records(session, spec)
    values = np.zeros((shape.groups, shape.vector_length()), dtype=np.int64)
    for number, group in enumerate(cohort_points(session, spec)):
        for point in group:
            if point in records:
                values[number, records[point]] += 1
    return values


# -- spies ---------------------------------------------------------------------------------------
@dataclass
class AirlineView:
    """What a curious airline computes from one query's scope (it holds ``a_q``)."""

    scope: list[bytes] = field(default_factory=list)
    raised: list[bytes] = field(default_factory=list)
    groups: list[tuple[int, ...]] = field(default_factory=list)

    def match_counts(self, groups: int) -> list[int]:
        """Matched positions per group, as the airline counts them."""
        counts = [0] * groups
        for matched in self.groups:
            for group in matched:
                counts[group] += 1
        return counts

    def matched_points(self) -> set[bytes]:
        """The doubly blinded points that matched a cohort group."""
        return {p for p, g in zip(self.raised, self.groups, strict=True) if g}


@dataclass
class Spy:
    """Everything the patched methods recorded (see the module docstring)."""

    noise: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {"airline": [], "carrier": []}
    )
    decrypted: list[np.ndarray] = field(default_factory=list)
    views: dict[str, AirlineView] = field(default_factory=dict)


def _caller_party() -> str | None:
    """``airline`` or ``carrier``: which party's module asked for the noise."""
    frame = inspect.currentframe()
    for _ in range(8):
        if frame is None:
            break
        name = frame.f_globals.get("__name__", "")
        if name in ("engine.parties.airline", "engine.parties.carrier"):
            return str(name).rsplit(".", 1)[1]
        frame = frame.f_back
    return None


@pytest.fixture(scope="module")
def spy() -> Iterator[Spy]:
    """Install the spies for the whole module (its queries run in module-scoped fixtures)."""
    record = Spy()
    sample, decrypt, indicators = (
        NoiseMechanism.sample,
        AirlineParty._decrypt,
        AirlineParty.indicators,
    )

    def spy_sample(self: NoiseMechanism, length: int) -> np.ndarray:
        drawn = sample(self, length)
        party = _caller_party()
        if party is not None:
            record.noise[party].append(drawn.copy())
        return drawn

    def spy_decrypt(self: AirlineParty, query: Any, message: Any) -> np.ndarray:
        values = decrypt(self, query, message)
        record.decrypted.append(values.copy())
        return values

    def spy_indicators(self: AirlineParty, message: Any) -> Any:
        query = self._query(message.query_id)
        view = record.views.setdefault(message.query_id, AirlineView())
        points = split_points(message.points)
        raised = query.scalar.blind(points, workers=2)
        view.scope += points
        view.raised += raised
        view.groups += [query.matches.get(point, ()) for point in raised]
        return indicators(self, message)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(NoiseMechanism, "sample", spy_sample)
        patch.setattr(AirlineParty, "_decrypt", spy_decrypt)
        patch.setattr(AirlineParty, "indicators", spy_indicators)
        yield record


@pytest.fixture(scope="session")
def kit() -> ModuleType:
    """This module, for its helpers."""
    return sys.modules[__name__]
