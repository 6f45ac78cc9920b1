"""The airline party (A): its own inputs, Paillier key pair, ledger, and its steps of protocol v2.

The airline reads ``DATA/airline`` only and keeps everything under ``WS/airline/``: its Paillier
key pair (``keys/``, mode 0600, created once and exclusively by :meth:`AirlineParty.prepare`,
its fingerprints recorded and checked on every open by :mod:`engine.keyring`) and its ledger's
anchor; the ledger is kept per dataset in the airline's ledger home (:mod:`engine.ledger.home`),
so a second workspace over the same data shares its budget. Per query it

1. checks the question and reserves its side of the budget — the released cells and the group
   sizes the carrier will see — in its own ledger (:meth:`AirlineParty.open_query`);
2. builds the cohort from its own data, adds ``m`` dummy keys per group and DP padding points,
   blinds everything with a fresh scalar ``a_q`` and shuffles each group
   (:meth:`~AirlineParty.blinded_cohort`);
5. raises the carrier's scope points to ``a_q``, matches them against the re-blinded cohort and
   answers every position with ``Enc_A(one-hot group lanes)`` — on one code path whether it
   matched or not (:meth:`~AirlineParty.indicators`);
7. decrypts the carrier's noised sums (exact + ``N_C``), adds its own noise ``N_A``, and
   post-processes only that published value (:meth:`~AirlineParty.publish`).

What it learns is bounded by the carrier's noise: ``N_C`` on every decrypted value, the dummy
coins on its match counts, the padding of the scope. It never sees a carrier ID, a location or a
payload, and nothing it holds is protected only by noise it drew itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from engine.crypto.blinding import JoinKey, hash_many_to_group
from engine.crypto.idle import all_paused
from engine.crypto.lanes import LaneLayout
from engine.crypto.paillier import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    Encryptor,
    PaillierKeys,
    public_key_to_bytes,
)
from engine.crypto.permutation import shuffled
from engine.crypto.pool import ResiduePool
from engine.crypto.preblind import PreBlinder, PreBlinding
from engine.dp import NoiseMechanism, PrivacyCost, Release, build_release, mark_drawn
from engine.inputs import AirlineInputs, load_airline
from engine.keyring import KeyRing
from engine.ledger import CROSS_PAIR, Ledger, dataset_identity, party_scopes
from engine.ledger.values import CachedRelease, Reservation, Scope
from engine.parties.cohorts import Cohort, build_cohort
from engine.parties.dummies import dummy_points
from engine.parties.policy import SideChannelPlan, SideChannelPolicy, plan_side_channels
from engine.queries import QuerySpec
from engine.queries.periods import DataPeriod
from engine.queries.shapes import ProjectedRows, QueryShape, shape_of
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
from foundation.errors import BudgetExceeded, ConfigError, ProtocolError

__all__ = ["ACTOR", "PAILLIER_FILES", "AirlineParty", "AirlineStatus"]

ACTOR = "airline"
BLINDING_THREADS = 2
HASH_CACHE_KEYS = 500_000  # ≈ 60 MB of hashed cohort keys kept between queries
PAILLIER_FILES = (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE)


@dataclass(frozen=True)
class AirlineStatus:
    """What the airline says about the data: its boardings' period and the carrier's.

    ``observations`` is the period of the carrier's prepared observations, as the carrier stated
    it in its hello (None before the parties connected).
    """

    start: dt.date | None
    end: dt.date | None
    donations: DataPeriod | None = None
    observations: DataPeriod | None = None

    def events(self, kind: str) -> DataPeriod | None:
        """The period of the airline's events a release of ``kind`` selects on."""
        if kind == "furusato":
            return self.donations
        if kind == "population" or self.start is None or self.end is None:
            return None
        return DataPeriod(self.start, self.end)


@dataclass
class _Query:
    """What the airline remembers during one query (never sent)."""

    spec: QuerySpec
    shape: QueryShape
    side: SideChannelPlan
    reservation: Reservation | None  # made once the carrier has accepted
    scalar: PreBlinding  # a_q, with the airline's own points raised to it ahead
    cohort: Cohort | None = None
    padded_sizes: tuple[int, ...] = ()
    matches: dict[bytes, tuple[int, ...]] = field(default_factory=dict)
    answered: set[int] = field(default_factory=set)
    partitions: int | None = None
    lanes: LaneLayout | None = None
    openings: dict[int, list[int]] = field(default_factory=dict)  # matched position → residues


class AirlineParty:
    """The airline's node: its own inputs and workspace folder, nothing of the carrier's."""

    def __init__(
        self,
        data_dir: Path,
        folder: PartyFolder,
        *,
        key_bits: int = 2048,
        policy: SideChannelPolicy | None = None,
        randomiser_pool: int = 0,
        preblind: int = 0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.folder = folder.ensure()
        self.keyring = KeyRing.open(self.folder, ACTOR)  # before anything else is written here
        self.key_bits = key_bits
        self.randomiser_pool = randomiser_pool
        self.policy = policy or SideChannelPolicy()
        self.dataset_id = dataset_identity("airline", CROSS_PAIR, self.data_dir)
        self.ledger = Ledger.for_dataset(self.folder.root, "airline", self.dataset_id)
        self._queries: dict[str, _Query] = {}
        self._observations: DataPeriod | None = None
        self._hash_cache: dict[JoinKey, bytes] = {}
        self.preblinder = PreBlinder(preblind, workers=BLINDING_THREADS)
        self.preblinder.start()

    # -- own data and keys --------------------------------------------------------------------
    @cached_property
    def inputs(self) -> AirlineInputs:
        """The airline's own validated inputs (``DATA/airline``)."""
        return load_airline(self.data_dir)

    @cached_property
    def keys(self) -> PaillierKeys:
        """The Paillier key pair, its files checked against their recorded fingerprints."""
        if not self.keyring.recorded(PRIVATE_KEY_FILE):
            raise ConfigError(
                f"{self.folder.root} has no Paillier key pair yet; run 'crossmesh prepare' first"
            )
        files = {name: self.keyring.read(name) for name in PAILLIER_FILES}
        return PaillierKeys.from_key_files(files, self.folder.keys)

    @cached_property
    def encryptor(self) -> Encryptor:
        """Key-holder encryption (CRT, fixed-base short-exponent randomness) for indicators.

        With ``randomiser_pool`` > 0 the residues are computed ahead while the node is idle.
        """
        encryptor = Encryptor.for_key_holder(self.keys, pool=self.randomiser_pool)
        if isinstance(encryptor.residues, ResiduePool):
            encryptor.residues.start()
        return encryptor

    def prepare(self) -> AirlineStatus:
        """Validate the inputs and make the key pair if this folder never had one (offline step).

        The pair is made once, under the folder's lock, and only while the workspace record
        lists no Paillier key: a recorded key that is missing or changed is refused by
        :mod:`engine.keyring`, never made again.
        """
        with self.folder.lock("prepare"):
            self.folder.remove_leftovers()
            if not self.keyring.recorded(PRIVATE_KEY_FILE):
                self.keyring.create(PaillierKeys.generate(self.key_bits).key_files())
            self.keys  # noqa: B018 - loaded (and checked) here, not during the first query
        status = self.status()
        if status.start is not None and status.end is not None:
            months = Scope.spanning(CROSS_PAIR, status.start, status.end)
            self.ledger.note_months(scope.period for scope in months)
        return status

    def status(self) -> AirlineStatus:
        """The periods of the airline's boardings and donations, and the carrier's as stated."""
        return replace(self._own_periods, observations=self._observations)

    @cached_property
    def _own_periods(self) -> AirlineStatus:
        """The boardings' and donations' periods, computed once (the inputs are loaded once)."""
        boardings, donations = self.inputs.boardings, self.inputs.donations
        gifts = None
        if len(donations):
            dates = donations["donation_date"]
            gifts = DataPeriod(dates.min().date(), dates.max().date())
        if not len(boardings):
            return AirlineStatus(None, None, gifts)
        first, last = boardings["departure"].min().date(), boardings["arrival"].max().date()
        return AirlineStatus(first, last, gifts)

    def receive_hello(self, message: CarrierHello) -> None:
        """Keep the period of the carrier's observations (public metadata)."""
        if not message.first_day:
            self._observations = None
            return
        first, last = dt.date.fromisoformat(message.first_day), message.last_day
        self._observations = DataPeriod(first, dt.date.fromisoformat(last))

    def key_message(self) -> AirlineKey:
        """The public key, for the carrier."""
        return AirlineKey(public_key_to_bytes(self.keys.public))

    # -- step 1: checks and the reservation -------------------------------------------------
    def cost_of(self, spec: QuerySpec) -> PrivacyCost:
        """What the released cells cost in ρ."""
        return spec.cost

    def charge_of(self, spec: QuerySpec) -> float:
        """ρ this ledger is charged per month: the released cells and the group sizes."""
        return self.cost_of(spec).rho + self.policy.group_rho

    def open_query(self, spec: QuerySpec) -> Release | QueryRequest:
        """Check ``spec`` and ask the carrier; the cached release if it was released before.

        Nothing is reserved here: everything that can fail on the spec or the airline's inputs —
        the shape, the side-channel plan, loading the inputs, building the cohort, whether the
        budget could pay — runs first, and the airline reserves only once the carrier, after its
        own checks (headroom, caps, its budget), has accepted (:meth:`accepted`). A query either
        party refuses costs the airline nothing.
        """
        shape = shape_of(spec)  # every check that needs no data, before anything is charged
        side = plan_side_channels(self.policy, shape)
        scopes = party_scopes("airline", spec.data_months)
        if self.ledger.cached(spec.spec_hash) is not None:  # served (and logged) by the ledger
            served = self.ledger.reserve_or_cached(
                spec.spec_hash, scopes, self.charge_of(spec), ACTOR
            )
            assert isinstance(served, CachedRelease)  # stored releases are never deleted
            return Release.from_json(served.release_json)
        self._check_affordable(spec, scopes)
        cohort = build_cohort(shape, self.inputs)
        query_id = secrets.token_hex(12)
        self._queries[query_id] = _Query(
            spec, shape, side, None, self.preblinder.take(), cohort=cohort
        )
        spec_text = json.dumps(
            {"spec": spec.canonical(), "policy": self.policy.to_dict()}, sort_keys=True
        )
        return QueryRequest(query_id, secrets.token_hex(16), spec_text)

    def cached_release(self, spec: QuerySpec) -> Release | None:
        """The release of ``spec`` from the airline's ledger, or None (spends nothing)."""
        text = self.ledger.cached(spec.spec_hash)
        return None if text is None else Release.from_json(text)

    def _check_affordable(self, spec: QuerySpec, scopes: tuple[Scope, ...]) -> None:
        """BudgetExceeded, before the carrier is asked, when a scope could not pay the charge."""
        charge = self.charge_of(spec)
        for scope in scopes:
            left = self.ledger.budget(scope).remaining_rho
            if left < charge:
                raise BudgetExceeded(
                    f"the {scope} budget has ρ {left:.4g} left, this release needs {charge:.4g}; "
                    "lower epsilon, choose fewer months or ask for a larger budget"
                )

    def accepted(self, message: QueryAccepted) -> Release | None:
        """The carrier reserved its side: reserve the airline's (the cached release if another
        process released this spec meanwhile — the caller then gives up the carrier's side)."""
        query = self._query(message.query_id)
        scopes = party_scopes("airline", query.spec.data_months)
        outcome = self.ledger.reserve_or_cached(
            query.spec.spec_hash, scopes, self.charge_of(query.spec), ACTOR
        )
        if isinstance(outcome, CachedRelease):
            self._queries.pop(message.query_id, None)
            return Release.from_json(outcome.release_json)
        query.reservation = outcome
        return None

    def _query(self, query_id: str) -> _Query:
        query = self._queries.get(query_id)
        if query is None:
            raise ProtocolError("a message for a query this airline did not open (or finished)")
        return query

    # -- step 2: the blinded cohort ---------------------------------------------------------
    def blinded_cohort(self, query_id: str) -> BlindedCohort:
        """Per group: real keys, ``m`` dummies and DP padding, blinded with ``a_q``, shuffled."""
        query = self._query(query_id)
        cohort = query.cohort
        if cohort is None:
            raise ProtocolError("the cohort of this query was not built when it was opened")
        m = query.side.dummies_per_group
        padding = query.side.group_padding.sample(len(cohort.groups))
        # Every group's real keys and dummies blinded as one batch (groups are often small).
        inputs = []
        for number, group in enumerate(cohort.groups):
            keys = [JoinKey(cohort.family, phone, period) for phone, period in sorted(group.keys)]
            inputs.append(self._hashed(keys) + dummy_points(number, m))
        blinded = query.scalar.blind_groups(inputs, workers=BLINDING_THREADS)
        query.scalar = query.scalar.spent()  # the table's work is done: free it now
        self.preblinder.remember(point for group in inputs for point in group)
        fillers = iter(self.preblinder.random_points(sum(int(x) for x in padding)))
        blobs, sizes = [], []
        for group, points, extra in zip(cohort.groups, blinded, padding, strict=True):
            points += itertools.islice(fillers, int(extra))
            blobs.append(b"".join(shuffled(points)))
            sizes.append(max(0, len(group.keys) + int(extra) - query.side.group_padding.shift))
        query.cohort, query.padded_sizes = cohort, tuple(sizes)
        return BlindedCohort(query_id, tuple(blobs))

    def _hashed(self, keys: list[JoinKey]) -> list[bytes]:
        """``H(k)`` of cohort keys, remembered in this process (the same members recur)."""
        missing = [key for key in keys if key not in self._hash_cache]
        for key, point in zip(
            missing, hash_many_to_group(missing, workers=BLINDING_THREADS), strict=True
        ):
            self._hash_cache[key] = point
        if len(self._hash_cache) > HASH_CACHE_KEYS:
            self._hash_cache = {key: self._hash_cache[key] for key in keys}
        return [self._hash_cache[key] for key in keys]

    def receive_reblinded(self, message: ReblindedCohort) -> None:
        """Index the re-blinded cohort: point → the groups it is in."""
        query = self._query(message.query_id)
        if len(message.groups) != query.shape.groups:
            raise ProtocolError("the re-blinded cohort has another number of groups")
        index: dict[bytes, list[int]] = {}
        for number, blob in enumerate(message.groups):
            for start in range(0, len(blob), POINT_BYTES):
                index.setdefault(blob[start : start + POINT_BYTES], []).append(number)
        query.matches = {point: tuple(groups) for point, groups in index.items()}

    # -- step 5: indicators -----------------------------------------------------------------
    def indicators(self, message: ScopePartition) -> IndicatorPartition:
        """``Enc_A(one-hot lanes)`` for every position of a scope partition, in order."""
        query = self._query(message.query_id)
        if message.index in query.answered or (
            query.partitions is not None and message.count != query.partitions
        ):
            raise ProtocolError("a scope partition was sent twice or does not fit the others")
        query.answered.add(message.index)
        if query.partitions is None:  # the lane width follows from public bounds, as at C
            query.lanes = self._lanes_for(query, message.count * self.policy.partition_points)
        query.partitions = message.count
        points = [
            message.points[i : i + POINT_BYTES] for i in range(0, len(message.points), POINT_BYTES)
        ]
        raised = query.scalar.key.blind(points, workers=BLINDING_THREADS)  # C's: never ahead
        lanes = self._lanes(query)
        plaintexts = [
            p for point in raised for p in lanes.indicator_plaintexts(query.matches.get(point, ()))
        ]
        ciphertexts, residues = self.encryptor.encrypt_opening(plaintexts)
        pieces = len(lanes.pieces)
        base = message.index * self.policy.partition_points
        for offset, point in enumerate(raised):  # kept to open the carrier's canaries
            if point in query.matches:
                query.openings[base + offset] = residues[offset * pieces : (offset + 1) * pieces]
        return IndicatorPartition(
            message.query_id,
            message.index,
            len(lanes.pieces),
            self.encryptor.ciphertext_bytes,
            self.encryptor.to_bytes(ciphertexts),
        )

    def busy(self) -> contextlib.AbstractContextManager[None]:
        """Pause the randomiser pool's and the pre-blinder's fillers while a query runs (they
        would compete for the CPU)."""
        residues = self.encryptor.residues
        pool = residues if isinstance(residues, ResiduePool) else None
        return all_paused(pool, self.preblinder)

    def _lanes_for(self, query: _Query, positions: int) -> LaneLayout:
        records, tail = query.shape.lane_bounds(positions)
        return LaneLayout.fitting(int(self.keys.public.n), query.shape.groups, records, tail)

    def _lanes(self, query: _Query) -> LaneLayout:
        if query.lanes is None:
            raise ProtocolError("indicators or sums before the scope arrived")
        return query.lanes

    def open_canaries(self, message: CanaryChallenge) -> CanaryOpening:
        """The residues of the indicators at the positions the carrier names (its canaries).

        Only matched positions can be canaries, and their residues say nothing about any other
        ciphertext; an unmatched position is answered with zeros, which will not open.
        """
        query = self._query(message.query_id)
        pieces = len(self._lanes(query).pieces)
        width = self.encryptor.ciphertext_bytes
        blob = b"".join(
            residue.to_bytes(width, "big")
            for position in message.positions
            for residue in query.openings.get(position, [0] * pieces)
        )
        query.openings = {}
        return CanaryOpening(message.query_id, width, blob)

    # -- step 7: decrypt, add own noise, publish --------------------------------------------
    def publish(self, message: NoisedSums) -> tuple[Release, ReleasePublished]:
        """Decrypt exact + ``N_C``, add ``N_A``, post-process, commit; the release for both."""
        query = self._query(message.query_id)
        if query.partitions is None or len(query.answered) != query.partitions:
            raise ProtocolError("noised sums before every scope partition was answered")
        reservation = query.reservation
        if reservation is None or not self.ledger.is_pending(reservation.id, reservation.spec_hash):
            raise ProtocolError(
                "noised sums for a query the airline's ledger does not hold as reserved "
                "(never reserved, or abandoned meanwhile); nothing is decrypted"
            )
        values = self._decrypt(query, message)  # groups × slots, exact + N_C
        mechanism = query.shape.mechanism
        self._check_range(query, values)
        noisy = values + query.shape.sample_noise()
        rows = query.shape.project(query.shape.group_labels, list(noisy), query.padded_sizes)
        release = _assemble(rows, mechanism, self.cost_of(query.spec), query.spec)
        self.ledger.commit(reservation, release.to_json(), summary=_summary(query.spec))
        del self._queries[message.query_id]
        return release, ReleasePublished(message.query_id, release.to_json())

    @staticmethod
    def _check_range(query: _Query, values: np.ndarray) -> None:
        """Refuse sums no honest carrier could send: below −noise or above a group's size + noise.

        A slot's sum counts records of one group, so it cannot exceed the group's keys (K times
        them for a parent slot of a two-level map, whose records may set K of its cells); the
        carrier's noise stays within 12 σ (40 b for the Laplace) but with negligible probability.
        An amplified sum (indicators raised to a power) fails this check unless the cell is tiny.
        """
        spread = query.shape.tail_bound
        cohort = query.cohort
        sizes = np.asarray([len(group.keys) for group in cohort.groups] if cohort else [])
        if len(sizes) != values.shape[0]:
            raise ProtocolError("noised sums arrived before the cohort was sent")
        reach = query.shape.slot_reach()[None, :]
        if (values < -spread).any() or (values > sizes[:, None] * reach + spread).any():
            raise ProtocolError(
                "the carrier's sums are outside what its records and noise allow; refusing to "
                "publish (a deviating carrier, or data changed during the query)"
            )

    def _decrypt(self, query: _Query, message: NoisedSums) -> np.ndarray:
        lanes = self._lanes(query)
        slots = query.shape.vector_length()
        expected = tuple(piece.outputs_for(slots) for piece in lanes.pieces)
        if message.outputs_per_piece != expected:
            raise ProtocolError("the noised sums do not have the query's layout")
        ciphertexts = self.encryptor.from_bytes(message.ciphertexts)
        plaintexts = self.keys.decrypt_many(ciphertexts)
        values = np.zeros((query.shape.groups, slots), dtype=np.int64)
        start = 0
        for piece, outputs in zip(lanes.pieces, expected, strict=True):
            block = lanes.unpack(piece, plaintexts[start : start + outputs], slots)
            values[piece.start : piece.stop, :] = block.T
            start += outputs
        return values

    def abandon(self, query_id: str, reason: str) -> None:
        """Give up a query (a failure on either side); its reservation is recorded as abandoned."""
        query = self._queries.pop(query_id, None)
        if query is not None and query.reservation is not None:
            self.ledger.abandon(query.reservation, reason)

    def close(self) -> None:
        """Stop the randomiser pool and the pre-blinder, and close the ledger."""
        self.preblinder.stop()
        residues = self.__dict__.get("encryptor")
        if residues is not None and isinstance(residues.residues, ResiduePool):
            residues.residues.stop()
        self.ledger.close()


def _summary(spec: QuerySpec) -> str:
    where = spec.airport or spec.municipality or spec.region or ""
    return f"{spec.kind} {where} {spec.start}–{spec.end} ε={spec.epsilon:g}".replace("  ", " ")


def _assemble(
    rows: ProjectedRows, mechanism: NoiseMechanism, cost: PrivacyCost, spec: QuerySpec
) -> Release:
    """Apply the publication rule to projected rows; intervals cover both parties' noise.

    Every slot carries two independent draws (``N_C`` and ``N_A``) and a row may sum ``k`` slots,
    so its noise is the sum of ``2k`` draws of the mechanism, whose exact law gives the row's
    interval and its p-value (:mod:`engine.dp.sums`). The reconciled rows of a two-level map
    carry their exact standard deviation instead (normal law), and are marked ``drawn`` after the
    rule: the non-overlapping cells a map shows (:func:`engine.dp.mark_drawn`).
    """
    release = build_release(
        rows.values,
        mechanism,
        cost,
        row_labels=rows.labels,
        label_names=rows.label_names,
        query_spec=spec.canonical(),
        draws=tuple(2 * count for count in rows.summed),
        noise_sd=rows.noise_sd or None,
        threshold=spec.threshold,
    )
    return mark_drawn(release, rows.parent_of) if rows.parent_of else release


Progress = Callable[[str, float], None]
