"""The carrier party (C): its own inputs, plaintext views, ledger, and its steps of protocol v2.

The carrier reads ``DATA/carrier`` only and keeps everything under ``WS/carrier/``: its prepared
views (plaintext payloads and pre-hashed keys, :mod:`engine.parties.carrier_store`), the cached
noisy scope sizes, and the anchor of its ledger (the ledger itself is kept per dataset in the
carrier's ledger home, :mod:`engine.ledger.home`). Every charge — cross releases with their match
counts, scope sizes, and its own population releases — goes to the one subscriber-month scope
``carrier@YYYY-MM`` (:mod:`engine.ledger.scopes`). It holds no long-lived key: per query it
draws a fresh blinding scalar ``c_q``. Per query it

1. checks the question (and the airline's side-channel policy) and reserves its side of the
   budget — the released cells, the match counts and any scope size not yet drawn;
3. raises the airline's cohort points to ``c_q`` and shuffles each group, refusing more points
   than its caps (per query, and per month of data in :mod:`engine.parties.volumes`) and groups
   below the minimum padded size;
4. lists its scope — every record of the scope's months, padding records up to the cached noisy
   size, and every dummy position (blinded or random by a secret coin) — blinded with ``c_q``,
   shuffled, in fixed-size partitions;
6. multiplies, per payload slot, the indicators of its records with that slot set, packs the
   slot sums (Horner), and adds its own DP noise ``Enc_A(N_C)`` with uniform randomness to every
   output, empty slots included, in one message.

It never sees an airline ID, a cohort label, which of its records matched, or any count that
carries no airline noise: the sums it builds are encrypted under the airline's key.

A step the carrier refuses (a :class:`~foundation.errors.ProtocolError`: a cap, a repeated
point, a canary that does not open, a step out of order) ends its query there and then: the
reservation is recorded as abandoned (what it reserved stays spent), the pre-blinder resumes,
and any later step of that query is refused as one for a query the carrier does not hold. A
deviating airline gets one try per query and per charge, never a second attempt at a check.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from engine.crypto.blinding import JoinKey, hash_many_to_group
from engine.crypto.idle import all_paused
from engine.crypto.lanes import LaneLayout
from engine.crypto.paillier import Encryptor, public_key_from_bytes
from engine.crypto.permutation import secret_permutation, shuffled
from engine.crypto.pool import ResiduePool
from engine.crypto.preblind import PreBlinder, PreBlinding
from engine.crypto.slot_sums import PartitionRecords, SlotSums, partial_products, run_boundaries
from engine.dp import ContributionBounds, Release, build_release, mechanism_for
from engine.inputs import CarrierInputs, load_carrier
from engine.keyring import KeyRing
from engine.ledger import CROSS_PAIR, SUBSCRIBER_PAIR, Ledger, dataset_identity, party_scopes
from engine.ledger.values import CachedRelease, Reservation, Scope
from engine.parallel import Runner
from engine.parties.carrier_store import StoredMonth, ViewStore
from engine.parties.dummies import dummy_points
from engine.parties.policy import SideChannelPlan, SideChannelPolicy, plan_side_channels
from engine.parties.population import population_counts
from engine.parties.volumes import VolumeLog
from engine.queries import QuerySpec
from engine.queries.shapes import QueryShape, ScopeBlock, shape_of
from engine.views import K_MESH, PayloadTable, build_all_payloads_by_people, view_families
from engine.wire.messages import (
    POINT_BYTES,
    AirlineKey,
    BlindedCohort,
    CanaryChallenge,
    CanaryOpening,
    CarrierHello,
    IndicatorPartition,
    NoisedSums,
    QueryAccepted,
    QueryRequest,
    ReblindedCohort,
    ReleasePublished,
    ScopePartition,
)
from engine.workspace import PartyFolder
from foundation.atomic import atomic_write_text
from foundation.errors import ConfigError, ProtocolError
from geo.areas import AreaMap

__all__ = ["ACTOR", "CarrierParty", "PrepareSummary"]

ACTOR = "carrier"
PERIOD_FILE = "period.json"  # first and last day of the prepared observations
VOLUMES_FILE = "volumes.sqlite"
BLINDING_THREADS = 2
REFUSAL_REASON_CHARS = 160  # of the refusal's own text, in the abandoned reservation's reason


class _AboutQuery(Protocol):
    @property
    def query_id(self) -> str: ...


_Message = TypeVar("_Message", bound="str | _AboutQuery")
_Answer = TypeVar("_Answer")


def _refusal_ends_query(
    step: Callable[[CarrierParty, _Message], _Answer],
) -> Callable[[CarrierParty, _Message], _Answer]:
    """A query step whose refusal (a :class:`ProtocolError`) abandons the query at once."""

    @functools.wraps(step)
    def run(party: CarrierParty, message: _Message) -> _Answer:
        try:
            return step(party, message)
        except ProtocolError as err:
            party._refused(message if isinstance(message, str) else message.query_id, err)
            raise

    return run


IntArray = npt.NDArray[np.int64]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PrepareSummary:
    """What one preparation did (months, never people)."""

    months_prepared: int
    months_unchanged: int


@dataclass
class _Query:
    """What the carrier remembers during one query (never sent)."""

    spec: QuerySpec
    shape: QueryShape
    side: SideChannelPlan
    reservation: Reservation
    scalar: PreBlinding  # c_q, with the carrier's own points raised to it ahead
    blocks: dict[str, StoredMonth] = field(default_factory=dict)  # the scope's records, read once
    record_slots: list[IntArray] = field(default_factory=list)  # per record, compact slots
    record_at: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    partitions: int = 0
    received: set[int] = field(default_factory=set)
    seen: set[bytes] = field(default_factory=set)  # indicator prefixes: no ciphertext twice
    work: list[PartitionRecords] = field(default_factory=list)  # per partition, its records
    reblinded: bool = False
    volumes: dict[str, int] = field(default_factory=dict)  # padded counts, for the audit log
    lanes: LaneLayout | None = None  # fixed when the scope's length is known
    canaries: dict[int, int] = field(default_factory=dict)  # scope position → group
    canary_ciphertexts: dict[int, list[int]] = field(default_factory=dict)
    canaries_checked: bool = False
    summed: bool = False  # the noised sums were sent: once per query


class CarrierParty:
    """The carrier's node: its own inputs and workspace folder, nothing of the airline's."""

    def __init__(
        self,
        data_dir: Path,
        folder: PartyFolder,
        *,
        policy: SideChannelPolicy | None = None,
        mask_pool: int = 0,
        runner: Runner | None = None,
        min_key_bits: int = 2048,
        preblind: int = 0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.folder = folder.ensure()
        self.keyring = KeyRing.open(self.folder, ACTOR)  # before anything else is written here
        self.policy = policy or SideChannelPolicy()
        self.store = ViewStore(self.folder, self.keyring)
        self.dataset_id = dataset_identity("carrier", CROSS_PAIR, self.data_dir)
        self.ledger = Ledger.for_dataset(self.folder.root, "carrier", self.dataset_id)
        self.volumes = VolumeLog(self.folder.path(VOLUMES_FILE), self.policy.max_points_per_month)
        self._queries: dict[str, _Query] = {}
        self._airline: Encryptor | None = None
        self.mask_pool = mask_pool
        self.runner = runner or Runner()
        self.min_key_bits = min_key_bits
        self.preblinder = PreBlinder(preblind, workers=BLINDING_THREADS)
        self.preblinder.start()

    @cached_property
    def inputs(self) -> CarrierInputs:
        """The carrier's own validated inputs (``DATA/carrier``)."""
        return load_carrier(self.data_dir)

    # -- offline: the plaintext views -------------------------------------------------------
    def prepare(self, area_map: AreaMap, progress: Progress | None = None) -> PrepareSummary:
        """Build every family's views from the carrier's own data; hash the keys once.

        Opted-out subscribers are dropped first, before anything is derived from their data.
        Months whose inputs did not change are kept as they are. The folder's lock is held
        throughout, and what a killed run left (temporary files, unlisted views) goes first.
        """
        with self.folder.lock("prepare"):
            return self._prepare(area_map, progress)

    def _prepare(self, area_map: AreaMap, progress: Progress | None) -> PrepareSummary:
        self.folder.remove_leftovers()
        self.store.clean()
        subscribers = self.inputs.subscribers
        kept = subscribers[~subscribers["opt_out"].astype(bool)]
        observations = self.inputs.observations  # the builder leaves out the opted-out's rows
        seen = observations["observed_at"][
            observations["subscriber_id"].isin(kept["subscriber_id"])
        ]
        phones = dict(zip(kept["subscriber_id"], kept["phone_e164"], strict=True))
        families = view_families()
        steps = len(families)

        def grouped(done: int, groups: int) -> None:
            nonlocal steps
            steps = groups + len(families)
            if progress is not None:
                progress("views", done, steps)

        tables = build_all_payloads_by_people(
            families, kept, observations, area_map, progress=grouped
        )
        prepared = unchanged = 0
        data_months: set[str] = set()
        for number, family in enumerate(families):
            table = tables[family.name]
            months = np.asarray([str(p)[:7] for p in table.periods], dtype=object)
            data_months |= {str(month) for month in months}
            todo, digests = [], []
            for month in sorted(set(months)):
                rows = np.flatnonzero(months == month)
                digest = _digest(family.name, table, rows, phones)
                if self.store.digest_of(family.name, month) == digest:
                    unchanged += 1
                    continue
                todo.append(_hashed_month(family.name, family.period, month, table, rows, phones))
                digests.append(digest)
            self.store.write_months(todo, digests)
            self.store.drop_months(family.name, set(months))
            prepared += len(todo)
            if progress is not None:
                progress("views", steps - len(families) + number + 1, steps)
        self._write_period(seen)
        self.ledger.note_months(data_months)
        self.__dict__.pop("inputs", None)  # a node keeps no input in memory it does not use
        return PrepareSummary(prepared, unchanged)

    def _write_period(self, days: pd.Series) -> None:
        """Record the first and last day of the prepared observations (public metadata)."""
        period = {"first_day": "", "last_day": ""}
        if len(days):
            period = {
                "first_day": days.min().date().isoformat(),
                "last_day": days.max().date().isoformat(),
            }
        atomic_write_text(self.folder.path(PERIOD_FILE), json.dumps(period))

    def hello(self) -> CarrierHello:
        """The period of the prepared observations, for the airline (ConfigError: not prepared)."""
        try:
            period = json.loads(self.folder.path(PERIOD_FILE).read_text(encoding="utf-8"))
            return CarrierHello(str(period["first_day"]), str(period["last_day"]))
        except (OSError, ValueError, KeyError, TypeError, ProtocolError) as err:
            raise ConfigError(
                f"the carrier's workspace {self.folder.root} has no readable {PERIOD_FILE}; "
                "run 'crossmesh prepare' again"
            ) from err

    # -- the airline's key --------------------------------------------------------------------
    def receive_key(self, message: AirlineKey) -> CarrierHello:
        """Keep the airline's Paillier public key (masks are computed under it while idle); answer
        with the period of the carrier's data."""
        bits = int.from_bytes(message.modulus, "big").bit_length()
        if bits < self.min_key_bits:
            raise ProtocolError(
                f"the airline's Paillier key has {bits} bits; this carrier accepts "
                f"{self.min_key_bits} or more"
            )
        self._stop_masks()
        self._airline = Encryptor.for_public_key(
            public_key_from_bytes(message.modulus), uniform_pool=self.mask_pool
        )
        if isinstance(self._airline.residues, ResiduePool):
            self._airline.residues.start()
        return self.hello()

    def busy(self) -> contextlib.AbstractContextManager[None]:
        """Pause the mask pool's and the pre-blinder's fillers while a query runs."""
        masks = None if self._airline is None else self._airline.residues
        pool = masks if isinstance(masks, ResiduePool) else None
        return all_paused(pool, self.preblinder)

    def _stop_masks(self) -> None:
        if self._airline is not None and isinstance(self._airline.residues, ResiduePool):
            self._airline.residues.stop()

    def _encryptor(self) -> Encryptor:
        if self._airline is None:
            raise ProtocolError("the airline has not sent its public key")
        return self._airline

    # -- step 1 -----------------------------------------------------------------------------
    def accept(self, message: QueryRequest) -> QueryAccepted:
        """Check the query and reserve the carrier's side of its budget."""
        try:
            request = json.loads(message.spec)
            spec = QuerySpec.from_canonical(request["spec"])
        except (ValueError, KeyError, TypeError) as err:
            raise ProtocolError("the query request does not hold a query spec") from err
        self.policy.check_peer(request.get("policy"))
        if message.query_id in self._queries:
            raise ProtocolError("a query id was used twice (a replayed request)")
        shape = shape_of(spec)
        side = plan_side_channels(self.policy, shape)
        cost = spec.cost
        with self.folder.read_lock("release"):  # no prepare swaps the views while they are read
            blocks = {block.key: self._records(shape, block) for block in shape.scope}  # once
            self._check_headroom(shape, side, blocks)
            self._draw_scope_sizes(shape, side, blocks)  # keyed by the manifest's digests
        scopes = party_scopes("carrier", spec.data_months)  # one budget per subscriber month
        outcome = self.ledger.reserve_or_cached(
            spec.spec_hash, scopes, cost.rho + side.match_rho, ACTOR
        )
        if isinstance(outcome, CachedRelease):
            raise ProtocolError(
                "the carrier released this query before; the airline should reopen it from its "
                "own ledger instead of asking again"
            )
        self._queries[message.query_id] = _Query(
            spec, shape, side, outcome, self.preblinder.take(), blocks=blocks
        )
        self.preblinder.pause()  # until the query ends: the airline's steps need the CPU too
        return QueryAccepted(message.query_id)

    def _forget(self, query_id: str) -> _Query | None:
        """Drop a query that ended (recorded, abandoned or stopped); the pre-blinder may resume."""
        query = self._queries.pop(query_id, None)
        if query is not None:
            self.preblinder.resume()
        return query

    def _check_headroom(
        self, shape: QueryShape, side: SideChannelPlan, blocks: dict[str, StoredMonth]
    ) -> None:
        """Refuse, before anything is charged, a scope whose sums could overflow a lane.

        The bound is the padded scope's size (a key is in one group, so no count exceeds it) and
        the noise's tail bound; the lanes actually used are fixed, as at the airline, when the
        scope's length is known (:meth:`LaneLayout.fitting`).
        """
        month_family = shape.family.period == "month"
        positions = shape.groups * side.dummies_per_group + self.policy.partition_points
        for block in shape.scope:
            padding = side.scope_padding(block, month_family)
            positions += len(blocks[block.key]) + 4 * padding.shift
        records, tail = shape.lane_bounds(positions)
        LaneLayout.fitting(int(self._encryptor().n), shape.groups, records, tail)

    def _size_key(self, shape: QueryShape, block: ScopeBlock) -> str:
        # The digest of the prepared month: new data is a new block, with a size of its own.
        digest = self.store.digest_of(shape.family.name, block.month)
        text = f"scope-size|{shape.family.name}|{block.key}|{digest}"
        return hashlib.sha256(text.encode()).hexdigest()

    def _noisy_size(
        self, shape: QueryShape, side: SideChannelPlan, block: ScopeBlock, records: int
    ) -> int:
        """The noisy size Ñ of a scope block of ``records``: drawn and charged once, then reused."""
        key = self._size_key(shape, block)
        padding = side.scope_padding(block, shape.family.period == "month")
        scope = (Scope(SUBSCRIBER_PAIR, block.month),)
        outcome = self.ledger.reserve_or_cached(key, scope, padding.rho, ACTOR)
        if isinstance(outcome, CachedRelease):
            return int(json.loads(outcome.release_json)["noisy_size"])
        size = records + int(padding.sample(1)[0])
        record = json.dumps({"noisy_size": size, "family": shape.family.name, "block": block.key})
        self.ledger.commit(outcome, record, summary=f"scope size {shape.family.name} {block.key}")
        return size

    def _draw_scope_sizes(
        self, shape: QueryShape, side: SideChannelPlan, blocks: dict[str, StoredMonth]
    ) -> None:
        for block in shape.scope:
            self._noisy_size(shape, side, block, len(blocks[block.key]))

    def _records(self, shape: QueryShape, block: ScopeBlock) -> StoredMonth:
        stored = self.store.read(shape.family.name, block.month)
        if block.first_day is None:
            return stored
        first = dt.date.fromisoformat(f"{block.month}-{block.first_day:02d}")
        last = dt.date.fromisoformat(f"{block.month}-{block.last_day:02d}")
        epoch = dt.date(1970, 1, 1)
        lo, hi = (first - epoch).days, (last - epoch).days
        rows = np.flatnonzero((stored.days >= lo) & (stored.days <= hi))
        return stored.select(rows)

    def _query(self, query_id: str) -> _Query:
        """The accepted query ``query_id``, while the carrier's ledger still authorises it.

        Every step asks the ledger: a reservation abandoned or settled meanwhile (the idle
        time-out, ``crossmesh ledger settle``, another process) stops the query at its next step.
        """
        query = self._queries.get(query_id)
        if query is None:
            raise ProtocolError("a message for a query this carrier did not accept (or finished)")
        reservation = query.reservation
        if not self.ledger.is_pending(reservation.id, reservation.spec_hash):
            self._forget(query_id)
            raise ProtocolError(
                "the carrier's ledger no longer holds this query's reservation (abandoned or "
                "settled meanwhile); the query stops here, ask it again"
            )
        return query

    # -- step 3 -----------------------------------------------------------------------------
    @_refusal_ends_query
    def reblind(self, message: BlindedCohort) -> ReblindedCohort:
        """Raise every cohort point to ``c_q`` and shuffle each group (with the carrier's caps)."""
        query = self._query(message.query_id)
        if query.reblinded:
            raise ProtocolError("the cohort of this query was already re-blinded once")
        if len(message.groups) != query.shape.groups:
            raise ProtocolError("the cohort does not have the query's number of groups")
        points = sum(len(blob) for blob in message.groups) // POINT_BYTES
        if points > self.policy.max_points_per_query:
            raise ProtocolError(
                f"the cohort has more points than this carrier re-blinds per query "
                f"({self.policy.max_points_per_query}); ask for a shorter period"
            )
        smallest = min(len(blob) for blob in message.groups) // POINT_BYTES
        if smallest < max(self.policy.min_group_points, query.side.dummies_per_group):
            raise ProtocolError("a cohort group is smaller than its dummies and minimum padding")
        self.volumes.charge(query.spec.data_months, points)
        inputs = []
        for blob in message.groups:
            split = [blob[i : i + POINT_BYTES] for i in range(0, len(blob), POINT_BYTES)]
            if len(set(split)) != len(split):
                raise ProtocolError("a cohort group repeats a point; refusing it")
            inputs.append(split)
        blinded = query.scalar.key.blind_groups(inputs, workers=BLINDING_THREADS)  # never ahead
        groups = [b"".join(shuffled(points)) for points in blinded]
        query.reblinded = True
        query.volumes["cohort points re-blinded"] = points
        return ReblindedCohort(message.query_id, tuple(groups))

    # -- step 4 -----------------------------------------------------------------------------
    def scope(self, query_id: str) -> Iterator[ScopePartition]:
        """The shuffled, padded, blinded scope in partitions (records, padding, every dummy)."""
        try:
            yield from self._scope(query_id)
        except ProtocolError as err:
            self._refused(query_id, err)
            raise

    def _scope(self, query_id: str) -> Iterator[ScopePartition]:
        query = self._query(query_id)
        if not query.reblinded:
            raise ProtocolError("the scope is sent after the cohort was re-blinded")
        points, slots = self._scope_records(query)
        records = len(slots)
        sizes = [
            self._noisy_size(query.shape, query.side, b, len(query.blocks[b.key]))
            for b in query.shape.scope
        ]
        padding = sum(sizes) - records
        if padding < 0:
            raise ProtocolError("the scope's noisy size is below its records; prepare again")
        heads, canary_of = self._coins(query)
        m = query.side.dummies_per_group
        dummies = [p for g in range(query.shape.groups) for p in dummy_points(g, m)]
        matching = [point for point, head in zip(dummies, heads, strict=True) if head]
        blinded = query.scalar.blind(points + matching, workers=BLINDING_THREADS)
        query.scalar = query.scalar.spent()  # the table's work is done: free it now
        self.preblinder.remember(itertools.chain(points, dummies))
        entries = blinded + self.preblinder.random_points(padding + int((~heads).sum()))
        record_at = np.full(len(entries), -1, dtype=np.int64)
        record_at[:records] = np.arange(records)
        permutation = secret_permutation(len(entries))
        query.record_at = record_at[permutation]
        order = permutation.tolist()
        # Where the canaries went: entry records + k-th matching dummy → its scope position.
        position_of = np.empty(len(entries), dtype=np.int64)
        position_of[permutation] = np.arange(len(entries))
        query.canaries = {
            int(position_of[records + number]): group for number, group in canary_of.items()
        }
        query.volumes["scope positions sent"] = len(entries)
        query.record_slots = slots
        query.blocks = {}  # no longer needed: the slots are kept, the points were sent
        size = self.policy.partition_points
        query.partitions = max(1, -(-len(entries) // size))
        records, tail = query.shape.lane_bounds(query.partitions * size)
        query.lanes = LaneLayout.fitting(
            int(self._encryptor().n), query.shape.groups, records, tail
        )
        for index in range(query.partitions):
            chosen = order[index * size : (index + 1) * size]
            yield ScopePartition(
                query_id, index, query.partitions, b"".join(entries[i] for i in chosen)
            )

    def _coins(self, query: _Query) -> tuple[npt.NDArray[np.bool_], dict[int, int]]:
        """Per dummy, whether it is sent to match; canaries always are (C alone knows which).

        Returns the coins and, for each canary, its rank among the matching dummies → group.
        """
        groups, m = query.shape.groups, query.side.dummies_per_group
        heads = query.side.coins.flip(groups * m)
        shuffler = secrets.SystemRandom()
        canary = np.zeros(groups * m, dtype=bool)
        for group in range(groups):
            for j in shuffler.sample(range(m), query.side.canaries):
                canary[group * m + j] = True
        heads |= canary
        rank = np.cumsum(heads) - 1
        return heads, {int(rank[i]): int(i // m) for i in np.flatnonzero(canary)}

    def _scope_records(self, query: _Query) -> tuple[list[bytes], list[IntArray]]:
        """Blinding inputs and compact payload slots of every record of the scope."""
        family = query.shape.family
        compact = np.full(family.size, -1, dtype=np.int64)
        compact[query.shape.slots] = np.arange(len(query.shape.slots))
        points: list[bytes] = []
        slots: list[IntArray] = []
        for block in query.shape.scope:
            stored = query.blocks[block.key]
            for row in range(len(stored)):
                points.append(stored.point(row))
                mapped = compact[stored.indices[stored.indptr[row] : stored.indptr[row + 1]]]
                slots.append(mapped[mapped >= 0])
        return points, slots

    # -- step 6 -----------------------------------------------------------------------------
    @_refusal_ends_query
    def receive_indicators(self, message: IndicatorPartition) -> None:
        """Check one partition's indicators and queue its records' products (a task each)."""
        query = self._query(message.query_id)
        encryptor = self._encryptor()
        if message.index in query.received or not 0 <= message.index < query.partitions:
            raise ProtocolError("an indicator partition was sent twice or out of range")
        if query.lanes is None:
            raise ProtocolError("indicators before the scope was sent")
        pieces = len(query.lanes.pieces)
        if message.pieces != pieces or message.ciphertext_bytes != encryptor.ciphertext_bytes:
            raise ProtocolError("the indicators do not have the query's layout")
        start = message.index * self.policy.partition_points
        expected = len(query.record_at[start : start + self.policy.partition_points])
        if message.positions != expected:
            raise ProtocolError("the indicators do not answer every position of the partition")
        values = encryptor.from_bytes(message.ciphertexts)
        width = encryptor.ciphertext_bytes
        seen = {message.ciphertexts[i : i + 16] for i in range(0, len(message.ciphertexts), width)}
        if len(seen) != len(values) or seen & query.seen:
            raise ProtocolError("two indicators are the same ciphertext (reused randomness)")
        query.seen |= seen
        chosen = [
            (offset, int(query.record_at[start + offset]))
            for offset in range(expected)
            if query.record_at[start + offset] >= 0
            and len(query.record_slots[int(query.record_at[start + offset])])
        ]
        blob = message.ciphertexts
        record_width = pieces * width
        slot_lists = [query.record_slots[record] for _, record in chosen]
        indptr = np.concatenate([[0], np.cumsum([len(s) for s in slot_lists])]).astype(np.int64)
        slots = np.concatenate(slot_lists).astype(np.int64) if slot_lists else np.zeros(0, np.int64)
        links = query.shape.run_links()
        if links is not None:  # summed by runs: fewer multiplications, the same sums
            indptr, slots = run_boundaries(indptr, slots, links.previous, links.following)
        records = PartitionRecords(
            indptr,
            slots,
            pieces,
            width,
            b"".join(blob[o * record_width : (o + 1) * record_width] for o, _ in chosen),
        )
        query.work.append(records)
        query.received.add(message.index)
        for offset in range(expected):
            if start + offset in query.canaries:
                query.canary_ciphertexts[start + offset] = values[
                    offset * pieces : (offset + 1) * pieces
                ]

    @_refusal_ends_query
    def canary_challenge(self, query_id: str) -> CanaryChallenge:
        """Ask the airline to open its indicators at the canaries' positions."""
        query = self._query(query_id)
        if len(query.received) != query.partitions:
            raise ProtocolError("the canaries are checked after every indicator partition")
        return CanaryChallenge(query_id, tuple(sorted(query.canaries)))

    @_refusal_ends_query
    def check_canaries(self, message: CanaryOpening) -> None:
        """Refuse the query unless every canary's indicator opens to its own group's one-hot.

        An airline that sent random points, or dummies blinded under another scalar, in place
        of its declared dummies gets no match there and cannot open ``Enc(0)`` as ``Enc(e_g)``.
        """
        query = self._query(message.query_id)
        encryptor = self._encryptor()
        lanes = query.lanes
        if lanes is None or not query.canaries:
            raise ProtocolError("no canaries to check for this query")
        width = message.residue_bytes
        residues = [
            int.from_bytes(message.residues[i : i + width], "big")
            for i in range(0, len(message.residues), width)
        ]
        positions = sorted(query.canaries)
        pieces = len(lanes.pieces)
        if len(residues) != len(positions) * pieces:
            raise ProtocolError("the canary opening does not answer every canary")
        for number, position in enumerate(positions):
            expected = lanes.indicator_plaintexts([query.canaries[position]])
            held = query.canary_ciphertexts.get(position, [])
            for piece in range(pieces):
                if not encryptor.opens(
                    held[piece], expected[piece], residues[number * pieces + piece]
                ):
                    raise ProtocolError(
                        "the airline's indicators at the carrier's canaries do not open to "
                        "their groups: it did not send the dummies it declared; refusing the query"
                    )
        query.canaries_checked = True

    @_refusal_ends_query
    def noised_sums(self, query_id: str) -> NoisedSums:
        """Per-slot products on the carrier's runner, merged, Horner-packed, noised, masked."""
        query = self._query(query_id)
        if query.summed:
            raise ProtocolError("the noised sums of this query were already sent once")
        if len(query.received) != query.partitions or not query.canaries_checked:
            raise ProtocolError(
                "noised sums are sent after every indicator partition arrived and the canaries "
                "were opened"
            )
        encryptor = self._encryptor()
        lanes = query.lanes
        if lanes is None:
            raise ProtocolError("noised sums before the scope was sent")
        length = query.shape.vector_length()
        sums = SlotSums(int(encryptor.nsquare), len(lanes.pieces), length)
        products = sum(records.products for records in query.work)
        for partial in self.runner.map(
            partial_products, query.work, shared=(int(encryptor.nsquare),), work=products
        ):
            sums.merge(partial)
        query.work = []
        links = query.shape.run_links()
        if links is not None:
            sums.close_runs(links.previous)
        hierarchy = query.shape.hierarchy
        if hierarchy is not None:  # parents: products of their children's sums, no indicator
            sums.add_parents(hierarchy.members, len(hierarchy.child_codes))
        noise = query.shape.sample_noise()  # a two-level map: each level its own mechanism
        outputs, counts = sums.noised_outputs(lanes, noise, encryptor)
        query.summed = True
        return NoisedSums(query_id, encryptor.ciphertext_bytes, counts, encryptor.to_bytes(outputs))

    # -- step 7 -----------------------------------------------------------------------------
    @_refusal_ends_query
    def record(self, message: ReleasePublished) -> Release:
        """The published release: checked and committed to the carrier's ledger."""
        query = self._query(message.query_id)
        release = Release.from_json(message.release)
        if release.query_spec != query.spec.canonical():
            raise ProtocolError("the published release answers another question")
        volumes = ", ".join(f"{name} {count}" for name, count in query.volumes.items())
        summary = f"{release.query_spec.get('kind')}: {volumes} (padded, not counts of people)"
        self.ledger.commit(query.reservation, message.release, summary=summary)
        self._forget(message.query_id)
        return release

    def _refused(self, query_id: str, err: ProtocolError) -> None:
        """End the query a step of which was just refused (see the module's docstring)."""
        self.abandon(query_id, f"refused by the carrier: {err}"[:REFUSAL_REASON_CHARS])

    def abandon(self, query_id: str, reason: str) -> None:
        """Give up a query; its reservation is recorded as abandoned."""
        query = self._forget(query_id)
        if query is not None:
            self.ledger.abandon(query.reservation, reason)

    # -- the carrier's own statistics -------------------------------------------------------
    def population_release(self, spec: QuerySpec, area_map: AreaMap) -> Release:
        """Distinct people present per mesh cell over the window, residents and visitors: the
        carrier's data, ledger and noise only (bounds: ``days`` person-days of at most
        ``K_MESH`` cells each, every cell counting a person once)."""
        cost = spec.cost
        scopes = party_scopes("carrier", spec.data_months)  # the same budget as cross releases
        outcome = self.ledger.reserve_or_cached(spec.spec_hash, scopes, cost.rho, ACTOR)
        if isinstance(outcome, CachedRelease):
            return Release.from_json(outcome.release_json)
        try:
            counts = population_counts(
                self.inputs.subscribers, self.inputs.observations, area_map,
                str(spec.region), spec.start, spec.end,
            )  # fmt: skip
            mechanism = mechanism_for(cost, ContributionBounds(counts.days, 1, K_MESH))
            noisy = np.asarray(counts.counts, dtype=np.int64) + mechanism.sample(len(counts.counts))
            release = build_release(
                tuple(int(v) for v in noisy), mechanism, cost, row_labels=counts.labels,
                label_names=("residency", "mesh_code"), query_spec=spec.canonical(),
                threshold=spec.threshold,
            )  # fmt: skip
            self.ledger.commit(outcome, release.to_json(), summary=f"population {spec.region}")
        except BaseException as err:
            self.ledger.abandon(outcome, type(err).__name__)
            raise
        return release

    def close(self) -> None:
        """Stop the mask pool and the pre-blinder, and close the ledger."""
        self._stop_masks()
        self.preblinder.stop()
        self.ledger.close()


def _digest(family: str, table: PayloadTable, rows: IntArray, phones: dict[str, str]) -> str:
    """SHA-256 of one month's records and payloads (the carrier's folder only)."""
    digest = hashlib.sha256(family.encode())
    for row in rows:
        digest.update(phones[str(table.subscriber_ids[row])].encode())
        digest.update(str(table.periods[row]).encode())
        digest.update(table.row_slots(int(row)).astype("<i8").tobytes())
    return digest.hexdigest()


def _hashed_month(
    family: str,
    period: str,
    month: str,
    table: PayloadTable,
    rows: IntArray,
    phones: dict[str, str],
) -> StoredMonth:
    """One month of a family with every record's key hashed to the group."""
    part = table.select(rows)
    keys = [
        JoinKey(family, phones[str(s)], str(p))
        for s, p in zip(part.subscriber_ids, part.periods, strict=True)
    ]
    points = b"".join(hash_many_to_group(keys, workers=BLINDING_THREADS))
    texts = pd.Series([str(p) for p in part.periods], dtype=str)
    if period == "day":
        days = pd.to_datetime(texts).to_numpy().astype("datetime64[D]")
    else:
        days = pd.to_datetime(texts + "-01").to_numpy().astype("datetime64[M]")
    return StoredMonth(
        family, month, points, days.astype(np.int64), part.indptr.astype(np.int64),
        part.indices.astype(np.int64),
    )  # fmt: skip
