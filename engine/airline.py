"""The airline environment (A): its blinding key, the carrier's partitions, and steps A1–A3.

The airline holds its members, boardings and donations and its blinding scalar ``a``, all under
``WS/airline/``. It

- **A1** receives the carrier's partitions (points ``H(k)^c`` with ciphertexts it cannot read),
  raises every point to ``a`` and stores ``H(k)^{ca}`` beside the ciphertexts: its match index;
- **A2** turns a cohort (built from its own data, :mod:`engine.cohorts`) into points ``H(k)^a``
  per group, refuses groups below the minimum size, pads each group with dummy points to a size
  bucket and shuffles it; group labels stay here;
- **A3** matches the carrier's re-blinded answer ``H(k)^{ac}`` against its index and multiplies
  the matched ciphertexts per group — per partition, then merged — giving encrypted sums.

How many keys of a group matched is known here and nowhere else: it is not part of
:class:`EncryptedSums` and is never logged.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import gmpy2
import numpy as np
import numpy.typing as npt

from engine.atomic import atomic_write_text
from engine.cohorts import Cohort
from engine.crypto.blinding import BlindingKey, JoinKey
from engine.crypto.packing import SlotCodec
from engine.crypto.paillier import Encryptor, public_key_from_bytes
from engine.errors import ConfigError, InputError, ProtocolError
from engine.layout import SLOT_BITS, Segment
from engine.merge import merge_group_partials
from engine.messages import (
    POINT_BYTES,
    ActivePartitions,
    BlindedCohort,
    EncryptedPartition,
    NoisedSums,
    PartitionReceipt,
    PublicKeyAnnouncement,
    ReblindedCohort,
)
from engine.parallel import Runner
from engine.store import StoredPartition, read_partition, write_partition
from engine.workspace import PartyFolder

__all__ = ["DEFAULT_MIN_GROUP_SIZE", "AirlineEnv", "EncryptedSums", "PendingQuery", "padded_size"]

DEFAULT_MIN_GROUP_SIZE = 10
BLINDING_TASK_POINTS = 4096


def padded_size(real: int) -> int:
    """The size bucket a group of ``real`` keys is padded to (so C sees buckets, not counts)."""
    if real <= 16:
        return 16
    if real <= 4096:
        return 1 << (real - 1).bit_length()
    return -(-real // 4096) * 4096


@dataclass(frozen=True)
class EncryptedSums:
    """Per group, the encrypted slot sums of one query (labels are the airline's own)."""

    family: str
    label_names: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    ciphertexts: tuple[tuple[int, ...], ...]
    too_small: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PendingQuery:
    """What the airline remembers between A2 and A3 (never sent)."""

    request_id: str
    cohort: Cohort
    sent: tuple[int, ...]  # indexes into cohort.groups of the groups sent
    too_small: tuple[tuple[str, ...], ...]


def _slug(family: str) -> str:
    return re.sub(r"[^a-z0-9_.-]", "_", family)


def blind_points(scalar: bytes, points: bytes) -> bytes:
    """Raise every point of a partition to ``scalar`` (A1's task, for the runner).

    libsodium's scalar multiplication itself refuses non-canonical, small-order and off-subgroup
    points (a :class:`CryptoError`), so no separate :func:`check_points` pass is needed.
    """
    split = [points[i : i + POINT_BYTES] for i in range(0, len(points), POINT_BYTES)]
    return b"".join(BlindingKey(scalar).blind(split))


def _blinding_groups(
    messages: Iterable[EncryptedPartition],
) -> Iterator[list[EncryptedPartition]]:
    """Consecutive partitions grouped into tasks of about :data:`BLINDING_TASK_POINTS` points.

    Partitions are small (a bucket of one day); one task each would cost more in scheduling than
    the blinding itself.
    """
    group: list[EncryptedPartition] = []
    for message in messages:
        group.append(message)
        if sum(len(m.points) for m in group) >= BLINDING_TASK_POINTS * POINT_BYTES:
            yield group
            group = []
    if group:
        yield group


def matched_records(
    partition: StoredPartition, span: tuple[int, int], rows_by_group: dict[int, list[int]]
) -> tuple[StoredPartition, dict[int, list[int]]]:
    """Only the matched rows of ``partition``, ciphertexts ``span``: what an A3 task needs."""
    rows = sorted({row for group_rows in rows_by_group.values() for row in group_rows})
    position = {row: i for i, row in enumerate(rows)}
    width = partition.ciphertext_bytes
    record = partition.ciphertexts_per_record * width
    first, stop = span[0] * width, span[1] * width
    bodies = b"".join(partition.ciphertexts[r * record + first : r * record + stop] for r in rows)
    sliced = StoredPartition(
        partition.partition_id, partition.family, span[1] - span[0], width, b"", bodies
    )
    renumbered = {group: [position[r] for r in own] for group, own in rows_by_group.items()}
    return sliced, renumbered


def partition_partial_sums(
    partition: StoredPartition,
    nsquare: int,
    span: tuple[int, int],
    rows_by_group: dict[int, list[int]],
) -> dict[int, list[int]]:
    """Multiply, per group, ciphertexts ``span`` of the matched rows of one partition (a task)."""
    modulus = gmpy2.mpz(nsquare)
    start, stop = span
    partials: dict[int, list[int]] = {}
    for group, rows in rows_by_group.items():
        totals = [gmpy2.mpz(1)] * (stop - start)
        for row in rows:
            cts = partition.record_ciphertexts(row)[start:stop]
            totals = [t * c % modulus for t, c in zip(totals, cts, strict=True)]
        partials[group] = [int(t) for t in totals]
    return partials


class AirlineEnv:
    """The airline's environment inside its own workspace folder."""

    def __init__(
        self,
        folder: PartyFolder,
        *,
        runner: Runner | None = None,
        min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    ) -> None:
        if min_group_size < 1:
            raise InputError(f"minimum group size must be at least 1, not {min_group_size}")
        self.folder = folder.ensure()
        self.runner = runner or Runner()
        self.min_group_size = min_group_size
        self.blinding = self._load_or_create_blinding()
        self._index_cache: dict[tuple[str, ...], dict[bytes, tuple[int, int]]] = {}

    def _load_or_create_blinding(self) -> BlindingKey:
        path = self.folder.keys / "blinding.key"
        if path.exists():
            return BlindingKey.load(path)
        key = BlindingKey.generate()
        key.save(path)
        return key

    # -- the carrier's public key -----------------------------------------------------------
    @property
    def _public_key_path(self) -> Path:
        return self.folder.path("carrier_public_key.json")

    def receive_public_key(self, message: PublicKeyAnnouncement) -> None:
        """Keep the carrier's Paillier public key."""
        public_key_from_bytes(message.modulus)  # validates
        atomic_write_text(self._public_key_path, json.dumps({"n": message.modulus.hex()}))

    def encryptor(self) -> Encryptor:
        """A public-key encryptor under the carrier's key."""
        if not self._public_key_path.exists():
            raise ConfigError("the airline has no carrier public key yet; run the ingest first")
        modulus = bytes.fromhex(json.loads(self._public_key_path.read_text())["n"])
        return Encryptor.for_public_key(public_key_from_bytes(modulus))

    # -- A1 ---------------------------------------------------------------------------------
    def _family_dir(self, family: str) -> Path:
        return self.folder.path("partitions", _slug(family))

    def receive_partition(self, message: EncryptedPartition) -> PartitionReceipt:
        """Store a carrier partition with every point raised to ``a`` (A1)."""
        return self._store_received(message, blind_points(self.blinding.scalar, message.points))

    def receive_partitions(
        self, messages: Iterable[EncryptedPartition]
    ) -> Iterator[PartitionReceipt]:
        """Store carrier partitions as they arrive, points raised to ``a`` on the runner (A1).

        ``messages`` may be lazy: partitions are read while earlier ones are being blinded, and
        a receipt is yielded as each partition is stored (in completion order).
        """
        held: dict[int, list[EncryptedPartition]] = {}

        def tasks() -> Iterator[bytes]:
            for number, group in enumerate(_blinding_groups(messages)):
                held[number] = group
                yield b"".join(message.points for message in group)

        scalar = (self.blinding.scalar,)
        for number, blinded in self.runner.imap(blind_points, tasks(), shared=scalar):
            group = held.pop(number)
            ends = itertools.accumulate((len(m.points) for m in group), initial=0)
            for message, (start, stop) in zip(group, itertools.pairwise(ends), strict=True):
                yield self._store_received(message, blinded[start:stop])

    def _store_received(self, message: EncryptedPartition, reblinded: bytes) -> PartitionReceipt:
        received = StoredPartition(
            message.partition_id,
            message.family,
            message.ciphertexts_per_record,
            message.ciphertext_bytes,
            message.points,
            message.ciphertexts,
        )
        stored = StoredPartition(
            received.partition_id,
            received.family,
            received.ciphertexts_per_record,
            received.ciphertext_bytes,
            reblinded,
            received.ciphertexts,
        )
        if not re.fullmatch(r"[0-9a-f]{8,64}", stored.partition_id):
            raise ProtocolError("partition ids are hexadecimal tokens")
        write_partition(self._family_dir(stored.family) / f"{stored.partition_id}.part", stored)
        return PartitionReceipt(received.partition_id, received.sha256)

    def activate(self, message: ActivePartitions) -> None:
        """Answer from exactly these partitions of the family from now on; drop the rest."""
        directory = self._family_dir(message.family)
        missing = [p for p in message.partition_ids if not (directory / f"{p}.part").exists()]
        if missing:
            raise ProtocolError(
                f"{len(missing)} partition(s) of {message.family} were never received"
            )
        atomic_write_text(directory / "active.json", json.dumps(list(message.partition_ids)))
        for path in directory.glob("*.part"):
            if path.stem not in message.partition_ids:
                path.unlink()

    def _active(self, family: str) -> tuple[str, ...]:
        path = self._family_dir(family) / "active.json"
        if not path.exists():
            raise ConfigError(f"no carrier data for view family {family}; run the ingest first")
        return tuple(json.loads(path.read_text()))

    def _index(self, family: str, active: tuple[str, ...]) -> dict[bytes, tuple[int, int]]:
        """``H(k)^{ca}`` → (partition position in ``active``, row), cached per active set."""
        key = (family, *active)
        if key not in self._index_cache:
            index: dict[bytes, tuple[int, int]] = {}
            for position, partition_id in enumerate(active):
                stored = read_partition(self._family_dir(family) / f"{partition_id}.part")
                for row in range(stored.record_count):
                    index[stored.point(row)] = (position, row)
            self._index_cache = {key: index}
        return self._index_cache[key]

    # -- A2 ---------------------------------------------------------------------------------
    def _dummy_points(self, count: int) -> list[bytes]:
        """Points indistinguishable from real ``H(k)^a``: blinded hashes of random keys."""
        keys = [
            JoinKey(
                "dummy", "+9" + "".join(secrets.choice("0123456789") for _ in range(14)), "2000-01"
            )
            for _ in range(count)
        ]
        return self.blinding.blind_keys(keys)

    def blind_cohort(self, cohort: Cohort) -> tuple[BlindedCohort, PendingQuery]:
        """Points ``H(k)^a`` per group, padded and shuffled; small groups held back (A2)."""
        shuffler = secrets.SystemRandom()
        sent, small, blobs = [], [], []
        for position, group in enumerate(cohort.groups):
            if len(group.keys) < self.min_group_size:
                small.append(group.label)
                continue
            keys = [JoinKey(cohort.family, phone, period) for phone, period in sorted(group.keys)]
            points = self.blinding.blind_keys(keys)
            points += self._dummy_points(padded_size(len(points)) - len(points))
            shuffler.shuffle(points)
            blobs.append(b"".join(points))
            sent.append(position)
        request_id = secrets.token_hex(12)
        pending = PendingQuery(request_id, cohort, tuple(sent), tuple(small))
        return BlindedCohort(request_id, tuple(blobs)), pending

    # -- A3 ---------------------------------------------------------------------------------
    def sum_matches(
        self, reply: ReblindedCohort, pending: PendingQuery, span: tuple[int, int] | None = None
    ) -> EncryptedSums:
        """Match the re-blinded points and multiply ciphertexts ``span`` per group (A3).

        ``span`` is the range of a record's ciphertexts to sum (a layout segment); all by default.
        """
        if reply.request_id != pending.request_id or len(reply.groups) != len(pending.sent):
            raise ProtocolError("the carrier's answer does not belong to this cohort request")
        family = pending.cohort.family
        active = self._active(family)
        index = self._index(family, active)
        by_partition: dict[int, dict[int, list[int]]] = {}
        for group_number, blob in enumerate(reply.groups):
            for start in range(0, len(blob), POINT_BYTES):
                hit = index.get(blob[start : start + POINT_BYTES])
                if hit is not None:
                    by_partition.setdefault(hit[0], {}).setdefault(group_number, []).append(hit[1])
        encryptor = self.encryptor()
        span = span or (0, self._ciphertexts_per_record(family, active))
        paths = [self._family_dir(family) / f"{active[p]}.part" for p in sorted(by_partition)]
        work = [
            matched_records(read_partition(path), span, by_partition[p])
            for path, p in zip(paths, sorted(by_partition), strict=True)
        ]
        products = sum(len(rows) for _, groups in work for rows in groups.values())
        partials = self.runner.map(
            _partial_task,
            work,
            shared=(int(encryptor.nsquare), (0, span[1] - span[0])),
            work=products * (span[1] - span[0]),
        )
        return self._merge(pending, partials, encryptor, span[1] - span[0])

    def _merge(
        self,
        pending: PendingQuery,
        partials: list[dict[int, list[int]]],
        encryptor: Encryptor,
        per_record: int,
    ) -> EncryptedSums:
        """Multiply the partition partials per group (a tree); a group with no match gets Enc(0)."""
        merged = merge_group_partials(partials, int(encryptor.nsquare), self.runner)
        sums = []
        for group_number in range(len(pending.sent)):
            if group_number in merged:
                sums.append(tuple(merged[group_number]))
            else:
                sums.append(tuple(encryptor.encrypt(0) for _ in range(per_record)))
        cohort = pending.cohort
        labels = tuple(cohort.groups[i].label for i in pending.sent)
        return EncryptedSums(
            cohort.family, cohort.label_names, labels, tuple(sums), pending.too_small
        )

    # -- A4 ---------------------------------------------------------------------------------
    def add_noise(
        self,
        sums: EncryptedSums,
        noise: npt.NDArray[np.int64],
        segments: Sequence[Segment],
        *,
        release_id: str,
        spec_hash: str,
    ) -> NoisedSums:
        """Add encrypted noise (groups × slots) to the sums and re-randomise them (A4).

        ``g^m = 1 + m·n`` adds the packed noise homomorphically; multiplying by a fresh, uniformly
        random n-th residue then re-randomises, so the carrier — who can factor ``n`` — cannot
        link the result to the records it encrypted.
        """
        encryptor = self.encryptor()
        codec = SlotCodec.for_modulus(int(encryptor.n), SLOT_BITS)
        if noise.shape[0] != len(sums.ciphertexts):
            raise ProtocolError("one noise vector per group is needed")
        n, nsquare = int(encryptor.n), int(encryptor.nsquare)
        blobs = []
        for ciphertexts, group_noise in zip(sums.ciphertexts, noise, strict=True):
            plaintexts = noise_plaintexts(codec, group_noise, segments)
            noised = [
                encryptor.rerandomize(c * (1 + m * n) % nsquare)
                for c, m in zip(ciphertexts, plaintexts, strict=True)
            ]
            blobs.append(encryptor.to_bytes(noised))
        per_group = len(sums.ciphertexts[0]) if sums.ciphertexts else 0
        return NoisedSums(
            release_id,
            spec_hash,
            encryptor.ciphertext_bytes,
            per_group,
            tuple(segment.length for segment in segments),
            sums.labels,
            b"".join(blobs),
        )

    def check_layout(self, family: str, ciphertexts_per_record: int) -> None:
        """Refuse to sum partitions packed under another layout than the one a query expects."""
        stored = self._ciphertexts_per_record(family, self._active(family))
        if stored != ciphertexts_per_record:
            raise ConfigError(
                f"the {family} partitions were packed with {stored} ciphertexts per record, "
                f"this version expects {ciphertexts_per_record}; re-run 'crossmesh ingest'"
            )

    def _ciphertexts_per_record(self, family: str, active: tuple[str, ...]) -> int:
        if not active:
            raise ConfigError(f"no carrier partitions for view family {family}")
        return read_partition(self._family_dir(family) / f"{active[0]}.part").ciphertexts_per_record


def noise_plaintexts(
    codec: SlotCodec, noise: npt.NDArray[np.int64], segments: Sequence[Segment]
) -> list[int]:
    """One group's noise vector packed segment by segment, each slot offset by ``B``."""
    pieces: list[int] = []
    start = 0
    for segment in segments:
        pieces += codec.pack_noise(noise[start : start + segment.length])
        start += segment.length
    if start != len(noise):
        raise ProtocolError(f"noise vector of {len(noise)} slots for segments of {start}")
    return pieces


def _partial_task(
    nsquare: int, span: tuple[int, int], item: tuple[StoredPartition, dict[int, list[int]]]
) -> dict[int, list[int]]:
    partition, rows_by_group = item
    return partition_partial_sums(partition, nsquare, span, rows_by_group)
