"""The one facade the command line and the dashboard use: open a workspace, estimate, release.

:class:`CrossmeshService` ties the stages together for a caller who only wants statistics:

it opens the embedded :class:`~engine.session.SecureSession` (the airline and the carrier
parties, each on its own folders) and passes specs to it — or, on an airline node
(:mod:`engine.nodes.airline_node`), a :class:`~engine.nodes.NodeSession` whose carrier is the
carrier's node; then only the airline's ledger is here, and population releases are the carrier
node's to answer. Each party checks, reserves in its own ledger, and runs its half of protocol
v2 (DESIGN §3); the facade itself never opens a party's data. ``population`` releases are the
carrier's own (its data, noise and ledger only): their estimates, previews, cache and list come
from a :class:`~engine.population_budget.CarrierBudgetView` — the carrier's ledger read in this
process (embedded), or asked of the carrier node (on an airline node) — by the same code either
way. Nothing here imports Streamlit; the app reads only what this returns.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.dp import PrivacyCost, Release
from engine.dp.accounting import DEFAULT_DELTA, zcdp_to_epsilon
from engine.jobs import JobStatus, ReleaseJobs
from engine.ledger import Ledger
from engine.ledger.values import AuditEntry, Scope
from engine.parties.airline import AirlineStatus
from engine.population_budget import CarrierBudgetView, LedgerBudgetView, PopulationEntry
from engine.preview import AccuracyPreview, preview_accuracy, same_place
from engine.queries import QuerySpec
from engine.queries.periods import DataPeriod, check_inside, fit_to_data
from engine.session import SecureSession, SessionSettings
from foundation.errors import ConfigError, InputError, IntegrityError, PeerError
from geo.areas import DEFAULT_GEO_DIR, AreaMap, load_area_map

if TYPE_CHECKING:
    from engine.nodes.node_session import NodeSession

__all__ = ["BudgetRow", "CostEstimate", "CrossmeshService", "ReleaseSummary", "WorkspaceStatus"]

Progress = Callable[[str, float], None]
CARRIER_PREFIX = "c"
CARRIER_SCHEDULER_ENV = "CROSSMESH_CARRIER_SCHEDULER"
log = logging.getLogger(__name__)


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

    release_id: str
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
    """Releases over a prepared workspace, through the embedded session of both parties.

    The facade reads no party data: what it shows about the data (the period) the airline party
    says, and every release goes through :class:`~engine.session.SecureSession`. The ledger it
    shows is the airline's — the dashboard is the airline's — and population releases, which are
    the carrier's own, are listed from the carrier's ledger beside them (:attr:`carrier_view`).
    """

    def __init__(
        self,
        workspace: Path,
        data_dir: Path,
        settings: SessionSettings | None = None,
        area_map: AreaMap | None = None,
        *,
        session: NodeSession | None = None,
    ) -> None:
        self.workspace = Path(workspace)
        self.data_dir = Path(data_dir)
        self.area_map = area_map or load_area_map(DEFAULT_GEO_DIR)
        self.session: SecureSession | NodeSession
        self.carrier_ledger: Ledger | None
        self.carrier_view: CarrierBudgetView
        if session is not None:  # an airline node: the carrier and its ledger are elsewhere
            self.session, self.carrier_ledger = session, None
            self.carrier_view = session.budget_view()
        else:
            if not (self.workspace / "carrier" / "views" / "manifest.json").is_file():
                raise ConfigError(
                    f"{self.workspace} holds no prepared data; run 'crossmesh prepare --data "
                    f"{self.data_dir} --workspace {self.workspace}' first"
                )
            self.session = SecureSession(
                self.workspace, self.data_dir, settings, area_map=self.area_map
            )
            self.carrier_ledger = self.session.carrier.ledger
            self.carrier_view = LedgerBudgetView(self.carrier_ledger)
        self.ledger = self.session.airline.ledger
        self.jobs = ReleaseJobs(self.release)

    @classmethod
    def open(cls, workspace: Path, data_dir: Path) -> CrossmeshService:
        """Open a prepared workspace with the product's default settings.

        A long-running service precomputes the airline's randomisers and the carrier's masks
        while idle, and each party raises its recent points to its next scalar
        (``CROSSMESH_RANDOMISER_POOL`` overrides the pool size; 0 turns all three off), and
        runs the carrier's large per-slot products on the carrier's own two-worker cluster,
        started on the first job big enough to need it (``CROSSMESH_CARRIER_SCHEDULER``:
        ``synchronous``, ``threads``, ``local`` or a scheduler address).
        """
        settings = SessionSettings.for_service()
        service = cls(workspace, data_dir, settings)
        if settings.randomiser_pool:
            service.session.connect()  # the carrier's masks start filling now, not at a release
            service.session.airline.encryptor  # noqa: B018 - and the airline's randomisers
        return service

    # -- what is loaded -----------------------------------------------------------------------
    def status(self) -> WorkspaceStatus:
        """The workspace, the period inside both parties' data, and the area source.

        The period is the airline's boardings' period within the carrier's observations (as the
        carrier stated it when the parties connected): the dates a page offers.
        """
        period = self._period()
        inside = period.events("visit-map")
        if inside is not None and period.observations is not None:
            inside = inside.overlap(period.observations)
        return WorkspaceStatus(
            self.workspace,
            self.data_dir,
            _scale(self.data_dir),
            inside.first if inside else None,
            inside.last if inside else None,
            self.area_map.source,
            self.area_map.approximate,
            self.area_map.credit,
        )

    def _period(self) -> AirlineStatus:
        self.session.connect()  # the carrier's hello carries its observations' period
        return self.session.airline.status()

    def fit(self, spec: QuerySpec) -> QuerySpec:
        """``spec`` clipped to the data (:mod:`engine.queries.periods`); InputError if none is."""
        return fit_to_data(spec, *self._periods_for(spec))

    def _inside(self, spec: QuerySpec) -> QuerySpec:
        """Refuse, before anything is charged, a spec that reads days outside the data."""
        return check_inside(spec, *self._periods_for(spec))

    def _periods_for(self, spec: QuerySpec) -> tuple[DataPeriod, DataPeriod | None]:
        period = self._period()
        if period.observations is None:
            raise InputError("the carrier has no prepared observations; run 'crossmesh prepare'")
        events = None if spec.kind == "population" else period.events(spec.kind)
        return period.observations, events

    # -- costs --------------------------------------------------------------------------------
    @staticmethod
    def cost_of(spec: QuerySpec) -> PrivacyCost:
        """What the spec's ε (and δ) cost in ρ."""
        return spec.cost

    @staticmethod
    def scopes_of(spec: QuerySpec) -> tuple[Scope, ...]:
        """The budget scopes a release charges: its dataset × every month of data it reads."""
        return tuple(Scope(spec.dataset, month) for month in spec.data_months)

    @property
    def serves_population(self) -> bool:
        """Whether the carrier's own population releases are offered here: embedded always; on
        an airline node when the carrier's node answers for them."""
        return self.carrier_view.answers()

    def _standing(self, spec: QuerySpec) -> tuple[dict[str, float], bool]:
        """ρ left per scope ``spec`` charges, and whether it was released already — from the
        airline's ledger, or for a population spec from the carrier's (:attr:`carrier_view`)."""
        if spec.kind == "population":
            standing = self.carrier_view.standing(spec)
            return dict(standing.remaining_rho), standing.cached
        remaining = {str(s): self.ledger.budget(s).remaining_rho for s in self.scopes_of(spec)}
        return remaining, self.ledger.cached(spec.spec_hash) is not None

    def _charge(self, spec: QuerySpec) -> float:
        if spec.kind == "population":
            return self.cost_of(spec).rho
        return self.session.airline.charge_of(spec)

    def estimate(self, spec: QuerySpec) -> CostEstimate:
        """The cost and the budget left in the ledger it charges, before running anything (the
        carrier's for a population spec).

        InputError if ``spec`` reads days outside the data (see :meth:`fit`).
        """
        self._inside(spec)
        cost = self.cost_of(spec)
        charge = self._charge(spec)
        remaining, cached = self._standing(spec)
        return CostEstimate(
            cost.epsilon,
            cost.delta,
            charge,
            tuple(remaining),
            remaining,
            {s: _epsilon_of(r, spec.delta) for s, r in remaining.items()},
            cached,
            cached or all(r >= charge for r in remaining.values()),
        )

    def preview(self, spec: QuerySpec) -> AccuracyPreview:
        """Accuracy before spending (:mod:`engine.preview`): intervals, cut-offs, the predicted
        withheld share (from the newest published release of the same kind and place) and the
        releases the budget left allows. Charges nothing; reads no party data."""
        self._inside(spec)
        remaining, _ = self._standing(spec)
        newest = next(  # releases() lists the newest first
            (s.release_id for s in self.releases() if same_place(spec, s.spec)), None
        )
        published = [] if newest is None else [(newest, self.reopen(newest))]
        return preview_accuracy(spec, list(remaining.values()), self._charge(spec), published)

    # -- releases -------------------------------------------------------------------------------
    def release(self, spec: QuerySpec, progress: Progress | None = None) -> Release:
        """Run (or serve from the cache) the release of ``spec``; BudgetExceeded if it won't fit.

        InputError, before anything is charged, if ``spec`` reads days outside the data.
        """
        return self.session.release(self._inside(spec), progress)

    def submit(self, spec: QuerySpec) -> JobStatus:
        """Start ``spec``'s release as a job of this service (one per spec); see :mod:`engine.jobs`.

        The job runs to completion whatever the caller does afterwards; :meth:`job` and
        :meth:`wait` report on it, and its release lands in the ledger's cache.
        """
        return self.jobs.submit(self._inside(spec))

    def job(self, spec: QuerySpec) -> JobStatus | None:
        """The job of ``spec`` if one was submitted to this service (and not long forgotten)."""
        return self.jobs.status(spec.spec_hash)

    def wait(self, spec: QuerySpec, timeout: float | None = None) -> JobStatus | None:
        """Wait up to ``timeout`` seconds for ``spec``'s job; its status (None: no such job)."""
        return self.jobs.wait(spec.spec_hash, timeout)

    def cached_release(self, spec: QuerySpec) -> Release | None:
        """``spec``'s committed release from the ledger's cache, or None; spends nothing."""
        if spec.kind == "population":
            found = self.carrier_view.standing(spec).release_id
            return None if found is None else self.carrier_view.reopen(found)
        text = self.ledger.cached(spec.spec_hash)
        return None if text is None else Release.from_json(text)

    def close(self) -> None:
        """Let a running job finish, then close both parties."""
        self.jobs.close()
        self.session.close()

    # -- the ledger, for people -------------------------------------------------------------
    def releases(self) -> list[ReleaseSummary]:
        """Every committed release, newest first (reopen any with :meth:`reopen`, at no cost).

        Cross releases come from the airline's ledger (ids ``"12"``), the carrier's own
        population releases from the carrier's (ids ``"c3"``: its copies of cross releases and
        its scope sizes are not listed), when it answers (:attr:`serves_population`) and can be
        reached.
        """
        summaries = []
        for record in self.ledger.releases():
            release = _as_release(self.ledger.release(record.id))
            if release is not None:
                summaries.append(
                    ReleaseSummary(
                        str(record.id), str(release.query_spec.get("kind", "")),
                        release.created_at, release.epsilon, release.delta, record.summary,
                        dict(release.query_spec),
                    )
                )  # fmt: skip
        summaries += [
            ReleaseSummary(
                f"{CARRIER_PREFIX}{entry.release_id}", "population", entry.created_at,
                entry.epsilon, entry.delta, entry.summary, dict(entry.spec),
            )
            for entry in self._carrier_releases()
        ]  # fmt: skip
        return sorted(summaries, key=lambda s: s.created_at, reverse=True)

    def _carrier_releases(self) -> list[PopulationEntry]:
        """The carrier's population releases — none, with a warning in the log, while its node
        cannot be reached: the airline's own list does not depend on the carrier's node."""
        if not self.serves_population:
            return []
        try:
            return self.carrier_view.releases()
        except PeerError as err:
            log.warning("the carrier's population releases are not listed: %s", err)
            return []

    def reopen(self, release_id: int | str) -> Release:
        """A past release, at no cost (``"c3"``: the carrier's population release 3)."""
        text = str(release_id)
        if text.startswith(CARRIER_PREFIX):
            return self.carrier_view.reopen(_release_number(text[len(CARRIER_PREFIX) :]))
        return Release.from_json(self.ledger.release(_release_number(text)))

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
        """The airline's audit log, oldest first."""
        return self.ledger.audit(limit)


def _as_release(text: str) -> Release | None:
    """The release stored in a ledger row, or None for the carrier's scope-size records."""
    try:
        return Release.from_json(text)
    except IntegrityError:
        return None


def _release_number(text: str) -> int:
    """A ledger's release id from its text; InputError if it is not one."""
    if not text.isdigit():
        raise InputError(f"a release id is a number (or c and a number), not {text!r}")
    return int(text)


def _scale(data_dir: Path) -> str | None:
    """The synthetic world's scale, from the generator's manifest (not party data)."""
    manifest = data_dir / "manifest.json"
    try:
        scale = json.loads(manifest.read_text(encoding="utf-8")).get("scale")
    except (OSError, ValueError, AttributeError):
        return None
    return str(scale) if scale else None
