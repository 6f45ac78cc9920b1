"""The one facade the command line and the dashboard use: open a workspace, estimate, release.

:class:`CrossmeshService` ties the stages together for a caller who only wants statistics:

1. the ledger authorises (reserves budget, or serves an identical spec from its cache for free);
2. the airline builds its cohort and the protocol computes encrypted sums (A2 → C2 → A3);
3. the airline draws OpenDP noise for every decrypted slot, adds it under encryption (A4);
4. the carrier decrypts once, for that reservation only (C3); the rows are post-processed
   (clamp, suppression, intervals) into a :class:`~engine.dp.Release`, committed to the ledger.

``population`` releases skip 2–4: the carrier counts its own data and the same mechanisms add
noise in the clear. Nothing here imports Streamlit; the app reads only what this returns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from engine.dp import (
    ContributionBounds,
    NoiseMechanism,
    PrivacyCost,
    Release,
    build_release,
    mechanism_for,
)
from engine.dp.accounting import DEFAULT_DELTA, zcdp_to_epsilon
from engine.errors import ConfigError
from engine.inputs import AirlineInputs, CarrierInputs, load_airline, load_carrier
from engine.layout import PackedLayout
from engine.ledger import Ledger
from engine.ledger.values import AuditEntry, CachedRelease, Scope
from engine.population import population_counts
from engine.protocol import SecureSession, SessionSettings
from engine.queries import QuerySpec
from engine.release_plans import ProjectedRows, plan_release
from engine.views import K_MESH
from geo.areas import DEFAULT_GEO_DIR, AreaMap, load_area_map

__all__ = ["BudgetRow", "CostEstimate", "CrossmeshService", "ReleaseSummary", "WorkspaceStatus"]

Progress = Callable[[str, float], None]
ACTOR = "crossmesh"


@dataclass(frozen=True)
class WorkspaceStatus:
    """What is loaded: the folders, the data period, the area source."""

    workspace: Path
    data_dir: Path
    scale: str | None
    start: dt.date | None
    end: dt.date | None
    area_source: str
    approximate_areas: bool
    credit: str | None


@dataclass(frozen=True)
class CostEstimate:
    """What a release would spend, where, and whether it fits (before anything runs)."""

    epsilon: float
    delta: float
    rho: float
    scopes: tuple[str, ...]
    remaining_rho: dict[str, float]
    remaining_epsilon: dict[str, float]
    cached: bool
    affordable: bool


@dataclass(frozen=True)
class ReleaseSummary:
    """One committed release as the dashboard lists it."""

    release_id: int
    kind: str
    created_at: str
    epsilon: float
    delta: float
    summary: str
    spec: dict[str, object]


@dataclass(frozen=True)
class BudgetRow:
    """One budget scope in ρ and, for people, in ε at the default δ."""

    scope: str
    total_rho: float
    spent_rho: float
    remaining_rho: float
    total_epsilon: float
    spent_epsilon: float
    remaining_epsilon: float


def _epsilon_of(rho: float, delta: float = DEFAULT_DELTA) -> float:
    return zcdp_to_epsilon(rho, delta) if rho > 0 else 0.0


class CrossmeshService:
    """Releases over one ingested workspace and the party data folder it was built from."""

    def __init__(
        self,
        workspace: Path,
        data_dir: Path,
        settings: SessionSettings | None = None,
        area_map: AreaMap | None = None,
    ) -> None:
        self.workspace = Path(workspace)
        self.data_dir = Path(data_dir)
        if not (self.workspace / "airline" / "partitions").is_dir():
            raise ConfigError(
                f"{self.workspace} holds no ingested data; run "
                f"'crossmesh ingest --data {self.data_dir} --workspace {self.workspace}' first"
            )
        self.session = SecureSession(self.workspace, settings)
        self.ledger = Ledger.in_workspace(self.workspace)
        self.area_map = area_map or load_area_map(DEFAULT_GEO_DIR)

    @classmethod
    def open(cls, workspace: Path, data_dir: Path) -> CrossmeshService:
        """Open an ingested workspace with the product's default settings."""
        return cls(workspace, data_dir)

    @cached_property
    def airline(self) -> AirlineInputs:
        """The airline's own inputs (for cohorts)."""
        return load_airline(self.data_dir / "airline")

    @cached_property
    def carrier(self) -> CarrierInputs:
        """The carrier's own inputs (for its population statistics)."""
        return load_carrier(self.data_dir / "carrier")

    # -- what is loaded -----------------------------------------------------------------------
    def status(self) -> WorkspaceStatus:
        """The workspace, the data period and the area source."""
        boardings = self.airline.boardings
        start = boardings["departure"].min().date() if len(boardings) else None
        end = boardings["arrival"].max().date() if len(boardings) else None
        manifest = self.data_dir / "manifest.json"
        scale = None
        if manifest.exists():
            import json

            scale = json.loads(manifest.read_text()).get("scale")
        return WorkspaceStatus(
            self.workspace,
            self.data_dir,
            scale,
            start,
            end,
            self.area_map.source,
            self.area_map.approximate,
            self.area_map.credit,
        )

    # -- costs --------------------------------------------------------------------------------
    @staticmethod
    def cost_of(spec: QuerySpec) -> PrivacyCost:
        """What the spec's ε (and δ) cost in ρ."""
        return PrivacyCost.from_epsilon(spec.epsilon, spec.delta, spec.mechanism)  # type: ignore[arg-type]

    @staticmethod
    def scopes_of(spec: QuerySpec) -> tuple[Scope, ...]:
        """The budget scopes a release charges: its dataset × every month of data it reads."""
        return tuple(Scope(spec.dataset, month) for month in spec.data_months)

    def estimate(self, spec: QuerySpec) -> CostEstimate:
        """The cost and the budget left, before running anything."""
        cost = self.cost_of(spec)
        remaining = {str(s): self.ledger.budget(s).remaining_rho for s in self.scopes_of(spec)}
        cached = self.ledger.cached(spec.spec_hash) is not None
        return CostEstimate(
            cost.epsilon,
            cost.delta,
            cost.rho,
            tuple(remaining),
            remaining,
            {s: _epsilon_of(r, spec.delta) for s, r in remaining.items()},
            cached,
            cached or all(r >= cost.rho for r in remaining.values()),
        )

    # -- releases -------------------------------------------------------------------------------
    def release(self, spec: QuerySpec, progress: Progress | None = None) -> Release:
        """Run (or serve from the cache) the release of ``spec``; BudgetExceeded if it won't fit."""
        tell = progress or (lambda _step, _fraction: None)
        cost = self.cost_of(spec)
        outcome = self.ledger.reserve_or_cached(
            spec.spec_hash, self.scopes_of(spec), cost.rho, ACTOR
        )
        if isinstance(outcome, CachedRelease):
            tell("cached", 1.0)
            return Release.from_json(outcome.release_json)
        try:
            if spec.kind == "population":
                release = self._population(spec, cost)
            else:
                release = self._cross(spec, cost, outcome.id, tell)
            self.ledger.commit(outcome, release.to_json(), summary=_summary(spec))
        except BaseException as err:
            self.ledger.abandon(outcome, type(err).__name__)
            raise
        tell("done", 1.0)
        return release

    def _cross(
        self, spec: QuerySpec, cost: PrivacyCost, reservation: int, tell: Progress
    ) -> Release:
        plan = plan_release(spec, self.airline)
        layout = PackedLayout.of(plan.family, self.session.carrier.codec)
        segments = plan.segments(layout)
        span = (segments[0].ciphertext_start, segments[-1].ciphertext_stop)
        tell("join", 0.2)
        self.session.airline.check_layout(plan.family.name, layout.ciphertexts_per_record)
        sums = self.session.encrypted_sums(plan.cohort, span)
        tell("noise", 0.6)
        mechanism = mechanism_for(cost, plan.bounds)
        length = sum(segment.length for segment in segments)
        noise = mechanism.sample(len(sums.labels) * length).reshape(len(sums.labels), length)
        release_id = str(reservation)
        noised = self.session.airline.add_noise(
            sums, noise, segments, release_id=release_id, spec_hash=spec.spec_hash
        )
        tell("decrypt", 0.8)
        vectors = self.session.decrypt_noised(noised, self._authorised(reservation))
        rows = plan.project(segments, sums.labels, vectors)
        return _assemble(rows, mechanism, cost, spec, withheld=sums.too_small)

    def _authorised(self, reservation: int) -> Callable[[str, str], bool]:
        def check(release_id: str, spec_hash: str) -> bool:
            return release_id == str(reservation) and self.ledger.is_pending(reservation, spec_hash)

        return check

    def _population(self, spec: QuerySpec, cost: PrivacyCost) -> Release:
        counts = population_counts(
            self.carrier.subscribers,
            self.carrier.observations,
            self.area_map,
            str(spec.region),
            spec.start,
            spec.end,
        )
        bounds = ContributionBounds(counts.days, 1, K_MESH)
        mechanism = mechanism_for(cost, bounds)
        noisy = np.asarray(counts.counts, dtype=np.int64) + mechanism.sample(len(counts.counts))
        rows = ProjectedRows(
            ("date", "residency", "mesh_code"),
            counts.labels,
            tuple(int(v) for v in noisy),
            tuple(1 for _ in counts.labels),
        )
        return _assemble(rows, mechanism, cost, spec)

    # -- the ledger, for people -------------------------------------------------------------
    def releases(self) -> list[ReleaseSummary]:
        """Every committed release, newest first (reopen any with :meth:`reopen`, at no cost)."""
        summaries = []
        for record in reversed(self.ledger.releases()):
            release = self.reopen(record.id)
            spec = dict(release.query_spec)
            summaries.append(
                ReleaseSummary(
                    record.id,
                    str(spec.get("kind", "")),
                    release.created_at,
                    release.epsilon,
                    release.delta,
                    record.summary,
                    spec,
                )
            )
        return summaries

    def reopen(self, release_id: int | str) -> Release:
        """A past release, at no cost."""
        return Release.from_json(self.ledger.release(int(release_id)))

    def budgets(self) -> list[BudgetRow]:
        """Every budget scope: total, spent and remaining, in ρ and in ε at the default δ."""
        return [
            BudgetRow(
                str(status.scope),
                status.total_rho,
                status.spent_rho,
                status.remaining_rho,
                _epsilon_of(status.total_rho),
                _epsilon_of(status.spent_rho),
                _epsilon_of(status.remaining_rho),
            )
            for status in self.ledger.budgets()
        ]

    def audit(self, limit: int | None = 200) -> list[AuditEntry]:
        """The audit log, oldest first."""
        return self.ledger.audit(limit)


def _summary(spec: QuerySpec) -> str:
    where = spec.airport or spec.municipality or spec.region or ""
    return f"{spec.kind} {where} {spec.start}–{spec.end} ε={spec.epsilon:g}".replace("  ", " ")


def _assemble(
    rows: ProjectedRows,
    mechanism: NoiseMechanism,
    cost: PrivacyCost,
    spec: QuerySpec,
    withheld: tuple[tuple[str, ...], ...] = (),
) -> Release:
    """Post-process projected rows into a release; intervals widen for values that sum slots.

    ``withheld`` lists the cohort groups below the minimum size, which were never sent: the
    release names them so that a missing row is not mistaken for zero.
    """
    described = {**spec.canonical(), "withheld_groups": [list(label) for label in withheld]}
    release = build_release(
        rows.values,
        mechanism,
        cost,
        row_labels=rows.labels,
        label_names=rows.label_names,
        query_spec=described,
        threshold=spec.threshold,
    )
    if all(count == 1 for count in rows.summed):
        return release
    # A value summing k independent noise draws: the Gaussian interval scales by √k (for the
    # discrete Laplace this is the normal approximation, stated in docs/method.md).
    widened = tuple(
        None if width is None else math.ceil(width * math.sqrt(count))
        for width, count in zip(release.ci95, rows.summed, strict=True)
    )
    return dataclasses.replace(release, ci95=widened)
