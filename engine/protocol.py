"""The secure session: both environments, the channel between them, and the protocol's order.

:class:`SecureSession` is the embedded default — airline and carrier in one process, in their own
workspace folders, talking only through :class:`~engine.channel.Channel`. It runs the offline steps
(C1 → transfer → A1 → activation) with :meth:`SecureSession.ingest`, and the online steps
(A2 → C2 → A3) with :meth:`SecureSession.encrypted_sums`, which returns the encrypted per-group
sums of a cohort.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.airline import DEFAULT_MIN_GROUP_SIZE, AirlineEnv, EncryptedSums
from engine.carrier import DEFAULT_BUCKETS, CarrierEnv, IngestSummary
from engine.channel import Channel, Transcript
from engine.cohorts import Cohort
from engine.errors import ConfigError
from engine.inputs import load_carrier
from engine.messages import (
    NoisedSums,
)
from engine.parallel import Runner, make_runner
from engine.views import view_families
from engine.workspace import Workspace
from geo.areas import DEFAULT_GEO_DIR, AreaMap, load_area_map

__all__ = ["SecureSession", "SessionSettings"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SessionSettings:
    """Tunable parameters of a session (the defaults are the product's).

    ``scheduler`` and ``workers`` choose where partitions are processed
    (:func:`engine.parallel.make_runner`); ``buckets`` is the number of hash-bucket partitions
    per view family and period that an ingest writes (results do not depend on it).
    """

    key_bits: int = 2048
    workers: int | None = None
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    allow_unnoised_decryption: bool = False
    scheduler: str | None = None
    buckets: int = DEFAULT_BUCKETS

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 0:
            raise ConfigError(f"workers must be 0 (one per core) or more, not {self.workers}")
        # A record's bucket is its point's first byte modulo the count: more than 256 stay empty.
        if not 1 <= self.buckets <= 256:
            raise ConfigError(
                f"partitions per period must be between 1 and 256, not {self.buckets}"
            )


class SecureSession:
    """Airline and carrier environments over one workspace, joined by a channel."""

    def __init__(
        self,
        workspace: Path,
        settings: SessionSettings | None = None,
        *,
        transcript: Transcript | None = None,
    ) -> None:
        settings = settings or SessionSettings()
        self.workspace = Workspace.open(workspace)
        runner = make_runner(settings.scheduler, settings.workers)
        self.runner: Runner = runner
        self.channel = Channel(transcript)
        self.carrier = CarrierEnv(
            self.workspace.carrier,
            key_bits=settings.key_bits,
            buckets=settings.buckets,
            runner=runner,
            allow_unnoised_decryption=settings.allow_unnoised_decryption,
        )
        self.airline = AirlineEnv(
            self.workspace.airline, runner=runner, min_group_size=settings.min_group_size
        )

    def ingest(
        self, data_dir: Path, area_map: AreaMap | None = None, progress: Progress | None = None
    ) -> IngestSummary:
        """Run both parties' offline steps on ``data_dir/carrier`` (C1, transfer, A1)."""
        self.runner.start()  # the workers start while the carrier reads and builds its views
        carrier_inputs = load_carrier(Path(data_dir) / "carrier")
        area_map = area_map or load_area_map(DEFAULT_GEO_DIR)
        key = self.channel.deliver("carrier", "airline", self.carrier.public_key_message())
        self.airline.receive_public_key(key)
        summary = self.carrier.ingest(
            carrier_inputs.subscribers, carrier_inputs.observations, area_map, progress
        )
        self.transfer()
        return summary

    def transfer(self) -> None:
        """Send every unacknowledged partition, then tell the airline the active sets."""
        # Partitions stream through A1: the next are read while earlier ones are blinded.
        received = (self.channel.deliver("carrier", "airline", p) for p in self.carrier.outgoing())
        for stored in self.airline.receive_partitions(received):
            receipt = self.channel.deliver("airline", "carrier", stored)
            self.carrier.acknowledge(receipt)
        for family in view_families():
            active = self.channel.deliver(
                "carrier", "airline", self.carrier.active_set(family.name)
            )
            self.airline.activate(active)

    def close(self) -> None:
        """Stop the session's workers (a local Dask cluster, if one was started)."""
        self.runner.close()

    def __enter__(self) -> SecureSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def encrypted_sums(self, cohort: Cohort, span: tuple[int, int] | None = None) -> EncryptedSums:
        """The encrypted per-group sums of ``cohort`` (A2 → C2 → A3), ciphertexts ``span``."""
        request, pending = self.airline.blind_cohort(cohort)
        received = self.channel.deliver("airline", "carrier", request)
        reply = self.channel.deliver("carrier", "airline", self.carrier.reblind(received))
        return self.airline.sum_matches(reply, pending, span)

    def decrypt_noised(
        self, noised: NoisedSums, authorised: Callable[[str, str], bool]
    ) -> list[np.ndarray]:
        """Send noised sums to the carrier and have it decrypt them (A4 → C3)."""
        received = self.channel.deliver("airline", "carrier", noised)
        return self.carrier.decrypt_noised(received, authorised)
