"""The carrier node: the carrier party on its own folders, behind the gRPC service.

A carrier node reads ``DATA/carrier`` and ``WS/carrier`` only — it never opens, or creates,
anything of the airline's — and answers the one airline whose certificate it pins. Its ledger is
its own (kept in the carrier's ledger home, :mod:`engine.ledger.home`); its background mask pool
and its runner for the per-partition products are set up as in the embedded session. The stamps
of every query it accepted are kept in ``WS/carrier/queries.sqlite``
(:class:`~engine.wire.replay.ReplayGuard`), so a replayed Accept is refused even after a restart;
every refusal is written to the carrier's audit log, with nothing charged. When it starts, the
node settles its ledger: a reservation of an earlier node process that was killed mid-query is
recorded as abandoned (its budget stays spent), never left pending. It also answers population
releases — the carrier's own statistic, on its data, ledger and noise alone — and three read-only
questions about them, through :class:`~engine.population_budget.LedgerBudgetView` over its
ledger: the ρ left for a population spec, the population releases published, and one of them
again. It answers those for population specs and releases only, never for its copies of cross
releases or its noisy scope sizes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from engine.parallel import make_runner
from engine.parties.carrier import ACTOR, CarrierParty, PrepareSummary
from engine.population_budget import LedgerBudgetView
from engine.queries import QuerySpec
from engine.session import SessionSettings
from engine.wire.certificates import NodeIdentity
from engine.wire.grpc_link import LinkSettings, Serving, serve_carrier
from engine.wire.messages import (
    PopulationBudget,
    PopulationBudgetAsk,
    PopulationList,
    PopulationListAsk,
    PopulationRelease,
    PopulationReopen,
    PopulationReopened,
    PopulationRequest,
)
from engine.wire.replay import ReplayGuard
from engine.workspace import PartyFolder
from foundation.errors import ConfigError, ProtocolError
from geo.areas import DEFAULT_GEO_DIR, AreaMap, load_area_map

__all__ = ["QUERIES_FILE", "CarrierNode"]

QUERIES_FILE = "queries.sqlite"  # in WS/carrier: the stamps of every query accepted


class CarrierNode:
    """The carrier's half of Crossmesh as a service: its party, and the server it runs behind."""

    def __init__(
        self,
        data_dir: Path,
        workspace: Path,
        settings: SessionSettings | None = None,
        *,
        area_map: AreaMap | None = None,
    ) -> None:
        settings = settings or SessionSettings()
        self.party = CarrierParty(
            Path(data_dir) / "carrier", PartyFolder(Path(workspace) / "carrier"),
            policy=settings.policy, mask_pool=settings.mask_pool, preblind=settings.preblind,
            runner=make_runner(settings.carrier_scheduler, settings.carrier_workers),
            min_key_bits=settings.min_peer_key_bits,
        )  # fmt: skip
        self._area_map = area_map
        self.budget_view = LedgerBudgetView(self.party.ledger)
        self.serving: Serving | None = None

    @property
    def area_map(self) -> AreaMap:
        """The municipal areas the carrier's views use (imported N03 areas if present)."""
        if self._area_map is None:
            self._area_map = load_area_map(DEFAULT_GEO_DIR if DEFAULT_GEO_DIR.exists() else None)
        return self._area_map

    def prepare(self, progress: Callable[[str, int, int], None] | None = None) -> PrepareSummary:
        """The carrier's offline step: its plaintext views, its keys hashed once."""
        return self.party.prepare(self.area_map, progress)

    def serve(
        self,
        identity: NodeIdentity,
        airline_fingerprint: str,
        listen: str,
        link: LinkSettings | None = None,
    ) -> int:
        """Start answering the pinned airline on ``listen``; return the port it listens on."""
        try:  # a workspace never prepared is refused now, not at the first query
            self.party.hello()
        except ConfigError as err:
            raise ConfigError(f"{err} (or start the node with --prepare)") from err
        self.party.ledger.settle_dead(ACTOR)  # reservations of a killed earlier node: abandoned
        guard = ReplayGuard(self.party.folder.path(QUERIES_FILE), self._log_refusal)
        guard.close_all()  # a query of an earlier process is held by no one now
        self.serving = serve_carrier(
            self.party, identity, airline_fingerprint, listen, link, guard, self
        )
        return self.serving.port

    def population(self, message: PopulationRequest) -> PopulationRelease:
        """A population release: the carrier's data, ledger and noise only (the airline's ledger
        is not involved); an identical spec is served from the carrier's ledger for free."""
        spec = _population_spec(message.spec, "population request")
        release = self.party.population_release(spec, self.area_map)
        return PopulationRelease(message.query_id, release.to_json())

    def population_budget(self, message: PopulationBudgetAsk) -> PopulationBudget:
        """The ρ left in each carrier scope a population spec reads, and its published
        release's id (0: none): figures of the ledger, no count."""
        spec = _population_spec(message.spec, "population budget question")
        standing = self.budget_view.standing(spec)
        return PopulationBudget(
            tuple(standing.remaining_rho), tuple(standing.remaining_rho.values()),
            standing.release_id or 0,
        )  # fmt: skip

    def population_releases(self, _message: PopulationListAsk) -> PopulationList:
        """Every published population release's id, summary, time, ε, δ and spec."""
        return PopulationList(
            tuple(
                (e.release_id, e.summary, e.created_at, float(e.epsilon), float(e.delta),
                 json.dumps(dict(e.spec), sort_keys=True))
                for e in self.budget_view.releases()
            )
        )  # fmt: skip

    def population_reopen(self, message: PopulationReopen) -> PopulationReopened:
        """A published population release again (InputError for any other ledger row)."""
        release = self.budget_view.reopen(message.release_id)
        return PopulationReopened(message.release_id, release.to_json())

    def _log_refusal(self, detail: str) -> None:
        self.party.ledger.note_refusal(ACTOR, detail)

    def close(self, grace: float = 5.0) -> None:
        """Stop the server (calls under way get ``grace`` seconds), then the party."""
        if self.serving is not None:
            self.serving.stop(grace)
            self.serving.service.guard.close()
            self.serving = None
        self.party.close()
        self.party.runner.close()


def _population_spec(text: str, what: str) -> QuerySpec:
    """The population spec a message carries; ProtocolError for anything else."""
    try:
        spec = QuerySpec.from_canonical(json.loads(text))
    except (ValueError, KeyError, TypeError) as err:
        raise ProtocolError(f"the {what} does not hold a query spec") from err
    if spec.kind != "population":
        raise ProtocolError(
            f"a {what} for a {spec.kind} query: the carrier node answers for its own population "
            "releases only (a cross release's budget is the airline's ledger)"
        )
    return spec
