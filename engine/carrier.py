"""The carrier environment (C): its keys, its encrypted outbox, and its protocol steps.

The carrier holds its subscribers and observations, its blinding scalar ``c`` and the Paillier key
pair, all under ``WS/carrier/``. It

- **C1** builds every view family's payloads from its own data (opted-out subscribers are dropped
  first, before anything is derived from them), encrypts them (:mod:`engine.carrier_ingest`) and
  writes partitions to its outbox; a manifest remembers, per family and period, a digest of the
  plaintext payloads so that unchanged periods are not redone;
- **C2** re-blinds the airline's cohort points with ``c`` and shuffles each group;
- **C3** decrypts — only sums that carry noise (the disclosure-control stage); the test-only path
  for unnoised sums must be switched on explicitly.

It never sees airline IDs, cohort labels, or which of its records matched.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.atomic import atomic_write_text
from engine.carrier_ingest import EncryptedChunk, RecordChunk, encrypt_chunk, split_buckets
from engine.crypto.blinding import BlindingKey
from engine.crypto.packing import SlotCodec
from engine.crypto.paillier import CiphertextSpace, PaillierKeys, public_key_to_bytes
from engine.errors import IntegrityError, ProtocolError
from engine.layout import SLOT_BITS, PackedLayout
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
from engine.views import PayloadTable, ViewFamily, build_all_payloads, view_families
from engine.workspace import PartyFolder
from geo.areas import AreaMap

__all__ = ["CarrierEnv", "IngestSummary"]

CHUNK_RECORDS = 2000
DEFAULT_BUCKETS = 4
# Periods are encrypted in batches of about this many records: enough chunks to keep every worker
# busy (most periods are one chunk), few enough that a batch's ciphertexts fit in memory.
BATCH_RECORDS = 50_000

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class IngestSummary:
    """What one carrier ingest did (counts of periods and partitions, never of people)."""

    periods_encrypted: int
    periods_unchanged: int
    partitions_written: int


def _payload_digest(
    table: PayloadTable, rows: np.ndarray, phones: dict[str, str], layout: PackedLayout
) -> str:
    """SHA-256 of one period's plaintext payloads and their packing (carrier's folder only)."""
    packing = [(s.blocks, s.ciphertext_start, s.ciphertext_stop) for s in layout.segments]
    digest = hashlib.sha256(json.dumps([table.family.labels(), packing, SLOT_BITS]).encode())
    order = sorted(rows, key=lambda r: phones[str(table.subscriber_ids[r])])
    for row in order:
        digest.update(phones[str(table.subscriber_ids[row])].encode())
        digest.update(table.row_slots(row).astype("<i8").tobytes())
    return digest.hexdigest()


def _batches(
    todo: list[tuple[str, np.ndarray, str]],
) -> Iterator[list[tuple[str, np.ndarray, str]]]:
    """Consecutive periods grouped into batches of about :data:`BATCH_RECORDS` records."""
    batch: list[tuple[str, np.ndarray, str]] = []
    records = 0
    for entry in todo:
        batch.append(entry)
        records += len(entry[1])
        if records >= BATCH_RECORDS:
            yield batch
            batch, records = [], 0
    if batch:
        yield batch


class CarrierEnv:
    """The carrier's environment inside its own workspace folder."""

    def __init__(
        self,
        folder: PartyFolder,
        *,
        key_bits: int = 2048,
        slot_bits: int = SLOT_BITS,
        buckets: int = DEFAULT_BUCKETS,
        runner: Runner | None = None,
        allow_unnoised_decryption: bool = False,
    ) -> None:
        self.folder = folder.ensure()
        self.blinding = self._load_or_create_blinding()
        self.keys = self._load_or_create_paillier(key_bits)
        self.space = CiphertextSpace(self.keys.public)
        self.codec = SlotCodec.for_modulus(self.keys.public.n, slot_bits)
        self.buckets = buckets
        self.runner = runner or Runner()
        self._allow_unnoised = allow_unnoised_decryption

    # -- keys -------------------------------------------------------------------------------
    def _load_or_create_blinding(self) -> BlindingKey:
        path = self.folder.keys / "blinding.key"
        if path.exists():
            return BlindingKey.load(path)
        key = BlindingKey.generate()
        key.save(path)
        return key

    def _load_or_create_paillier(self, bits: int) -> PaillierKeys:
        directory = self.folder.keys
        if any(directory.glob("paillier*")):
            return PaillierKeys.load(directory)
        keys = PaillierKeys.generate(bits)
        keys.save(directory)
        return keys

    def public_key_message(self) -> PublicKeyAnnouncement:
        """The Paillier public key, for the airline."""
        return PublicKeyAnnouncement(public_key_to_bytes(self.keys.public))

    # -- manifest ---------------------------------------------------------------------------
    @property
    def _manifest_path(self) -> Path:
        return self.folder.path("manifest.json")

    @property
    def _outbox(self) -> Path:
        return self.folder.path("outbox")

    def manifest(self) -> dict[str, dict[str, dict[str, object]]]:
        """``family → period → {digest, partitions}`` for everything ingested so far."""
        if not self._manifest_path.exists():
            return {}
        try:
            loaded: dict[str, dict[str, dict[str, object]]] = json.loads(
                self._manifest_path.read_text(encoding="utf-8")
            )
        except ValueError as err:
            raise IntegrityError(f"{self._manifest_path} is damaged; delete the workspace") from err
        return loaded

    def active_partitions(self, family: str) -> list[str]:
        """Every partition id the manifest lists for ``family``, sorted."""
        periods = self.manifest().get(family, {})
        return sorted(pid for entry in periods.values() for pid in entry["partitions"])  # type: ignore[attr-defined]

    def _drop_orphans(self) -> None:
        """Remove outbox files of an ingest that was killed before its manifest was written."""
        listed = {pid for fam in self.manifest() for pid in self.active_partitions(fam)}
        for path in self._outbox.glob("*.part"):
            if path.stem not in listed:
                path.unlink()

    # -- C1 ---------------------------------------------------------------------------------
    def ingest(
        self,
        subscribers: pd.DataFrame,
        observations: pd.DataFrame,
        area_map: AreaMap,
        progress: Progress | None = None,
    ) -> IngestSummary:
        """Build, encrypt and store every family's new or changed periods (C1)."""
        self._outbox.mkdir(exist_ok=True)
        self._drop_orphans()
        kept = subscribers[~subscribers["opt_out"].astype(bool)]
        observations = observations[observations["subscriber_id"].isin(kept["subscriber_id"])]
        phones = dict(zip(kept["subscriber_id"], kept["phone_e164"], strict=True))
        manifest = self.manifest()
        done = unchanged = written = 0
        families = view_families()
        tables = build_all_payloads(families, kept, observations, area_map)
        for family in families:
            table = tables[family.name]
            entries = manifest.setdefault(family.name, {})
            todo: list[tuple[str, np.ndarray, str]] = []
            for period in sorted(set(table.periods)):
                rows = np.flatnonzero(table.periods == period)
                layout = PackedLayout.of(family, self.codec)
                digest = _payload_digest(table, rows, phones, layout)
                if entries.get(period, {}).get("digest") == digest:
                    unchanged += 1
                    continue
                todo.append((period, rows, digest))
            for batch in _batches(todo):
                encrypted = self._encrypt_periods(family, table, batch, phones, progress)
                for (period, _, digest), ids in zip(batch, encrypted, strict=True):
                    entries[period] = {"digest": digest, "partitions": ids}
                    done, written = done + 1, written + len(ids)
            atomic_write_text(self._manifest_path, json.dumps(manifest, sort_keys=True))
        return IngestSummary(done, unchanged, written)

    def _chunks(
        self,
        family: ViewFamily,
        table: PayloadTable,
        rows: np.ndarray,
        phones: dict[str, str],
        period: str,
    ) -> list[RecordChunk]:
        chunks = []
        for start in range(0, len(rows), CHUNK_RECORDS):
            part = table.select(rows[start : start + CHUNK_RECORDS])
            chunk_phones = tuple(phones[str(s)] for s in part.subscriber_ids)
            chunks.append(
                RecordChunk(
                    family.name, period, family.size, chunk_phones, part.indptr, part.indices
                )
            )
        return chunks

    def _encrypt_periods(
        self,
        family: ViewFamily,
        table: PayloadTable,
        batch: list[tuple[str, np.ndarray, str]],
        phones: dict[str, str],
        progress: Progress | None,
    ) -> list[list[str]]:
        """Encrypt a batch of periods as one job on the runner; per period, its partition ids."""
        per_period = [self._chunks(family, table, rows, phones, p) for p, rows, _ in batch]
        chunks = [chunk for period_chunks in per_period for chunk in period_chunks]
        primes = (int(self.keys.private.p), int(self.keys.private.q))
        shared = (primes, self.blinding.scalar, self.codec.slot_bits)

        def tick(_: int) -> None:
            if progress is not None:
                progress(family.name, 1, len(chunks))

        # Largest chunks first, so that no worker is left with a big one at the end of the job;
        # each period is written as soon as its last chunk is back, while the workers go on.
        order = sorted(range(len(chunks)), key=lambda i: -len(chunks[i].phones))
        period_of = [p for p, period_chunks in enumerate(per_period) for _ in period_chunks]
        starts = np.cumsum([0, *map(len, per_period)])
        missing = [len(period_chunks) for period_chunks in per_period]
        back: dict[int, EncryptedChunk] = {}
        ids: list[list[str]] = [[] for _ in batch]
        jobs = self.runner.imap(encrypt_chunk, [chunks[i] for i in order], shared=shared)
        for position, encrypted in jobs:
            tick(1)
            back[order[position]] = encrypted
            period = period_of[order[position]]
            missing[period] -= 1
            if not missing[period]:
                own = range(starts[period], starts[period + 1])
                ids[period] = self._write_buckets(family, [back.pop(i) for i in own])
        return ids

    def _write_buckets(self, family: ViewFamily, encrypted: list[EncryptedChunk]) -> list[str]:
        """Split one period's encrypted records into bucket partitions in the outbox."""
        ids = []
        width = self.space.ciphertext_bytes
        per_record = PackedLayout.of(family, self.codec).ciphertexts_per_record
        for points, ciphertexts in split_buckets(encrypted, self.buckets, width):
            partition_id = secrets.token_hex(12)
            stored = StoredPartition(
                partition_id, family.name, per_record, width, points, ciphertexts
            )
            write_partition(self._outbox / f"{partition_id}.part", stored)
            ids.append(partition_id)
        return ids

    # -- sending ----------------------------------------------------------------------------
    def outgoing(self) -> Iterator[EncryptedPartition]:
        """The outbox partitions the airline has not acknowledged yet."""
        for path in sorted(self._outbox.glob("*.part")):
            stored = read_partition(path)
            yield EncryptedPartition(
                stored.partition_id,
                stored.family,
                stored.ciphertexts_per_record,
                stored.ciphertext_bytes,
                stored.points,
                stored.ciphertexts,
            )

    def acknowledge(self, receipt: PartitionReceipt) -> None:
        """The airline stored a partition intact: drop the outbox copy."""
        path = self._outbox / f"{receipt.partition_id}.part"
        if not path.exists():
            return
        if read_partition(path).sha256 != receipt.sha256:
            raise ProtocolError(f"receipt for partition {receipt.partition_id}: checksum differs")
        path.unlink()

    def active_set(self, family: str) -> ActivePartitions:
        """The message that tells the airline which partitions make up ``family`` now."""
        return ActivePartitions(family, tuple(self.active_partitions(family)))

    # -- C2 ---------------------------------------------------------------------------------
    def reblind(self, cohort: BlindedCohort) -> ReblindedCohort:
        """Raise every point to ``c`` and shuffle each group (C2)."""
        shuffler = secrets.SystemRandom()
        groups = []
        for blob in cohort.groups:
            points = [blob[i : i + POINT_BYTES] for i in range(0, len(blob), POINT_BYTES)]
            blinded = self.blinding.blind(points)
            shuffler.shuffle(blinded)
            groups.append(b"".join(blinded))
        return ReblindedCohort(cohort.request_id, tuple(groups))

    # -- C3 ---------------------------------------------------------------------------------
    @property
    def _decrypted_log(self) -> Path:
        return self.folder.path("decrypted_releases.json")

    def decrypt_noised(
        self, message: NoisedSums, authorised: Callable[[str, str], bool]
    ) -> list[np.ndarray]:
        """Decrypt noised sums once per ledger reservation; per group, the slot values (C3).

        ``authorised(release_id, spec_hash)`` asks the ledger whether that reservation is live.
        A sum without the noise offset decodes far below zero and is refused.
        """
        used = (
            set(json.loads(self._decrypted_log.read_text()))
            if self._decrypted_log.exists()
            else set()
        )
        if message.release_id in used:
            raise ProtocolError(f"release {message.release_id} was already decrypted once")
        if not authorised(message.release_id, message.spec_hash):
            raise ProtocolError("the ledger has no live reservation for these sums; not decrypting")
        atomic_write_text(self._decrypted_log, json.dumps(sorted(used | {message.release_id})))
        ciphertexts = self.space.from_bytes(message.ciphertexts)
        per_group = message.ciphertexts_per_group
        groups = []
        for start in range(0, len(ciphertexts), per_group or 1):
            plaintexts = self.keys.decrypt_many(ciphertexts[start : start + per_group])
            groups.append(self._unpack_noised(plaintexts, message.segment_lengths))
        return groups

    def _unpack_noised(self, plaintexts: list[int], lengths: tuple[int, ...]) -> np.ndarray:
        values, start = [], 0
        for length in lengths:
            count = self.codec.plaintexts_for(length)
            values.append(self.codec.unpack(plaintexts[start : start + count], 1, length=length))
            start += count
        vector = np.concatenate(values).astype(np.int64) if values else np.zeros(0, np.int64)
        if len(vector) and vector.min() < -self.codec.noise_offset // 2:
            raise ProtocolError(
                "the carrier refuses to decrypt a sum to which no DP noise was added"
            )
        return vector

    def decrypt_unnoised(self, ciphertexts: list[int], length: int) -> np.ndarray:
        """Decrypt and unpack a sum without noise — only where explicitly allowed (tests)."""
        if not self._allow_unnoised:
            raise ProtocolError(
                "the carrier refuses to decrypt a sum to which no DP noise was added"
            )
        plaintexts = self.keys.decrypt_many(ciphertexts)
        return np.asarray(self.codec.unpack(plaintexts, 0, length=length))
