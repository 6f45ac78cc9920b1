"""What the airline's facade may know of the carrier's own population releases: budgets and
published releases, never counts.

A population release is the carrier's alone — its data, its noise, its ledger
(:meth:`engine.parties.carrier.CarrierParty.population_release`). The dashboard is the
airline's, yet it offers population releases beside the airline's own: what one would cost,
whether the carrier's budget still allows it, whether it was published already, and the
population releases published so far. All of those are released or public values — the ρ left
in each carrier budget scope a spec reads (``carrier@YYYY-MM``: a figure of the ledger, set by
the public specs charged to it, not by the data), the id of a published release, and the
published releases themselves. :class:`CarrierBudgetView` asks exactly that, in two places:

* :class:`LedgerBudgetView` — over the carrier's :class:`~engine.ledger.Ledger`: in the embedded
  session (both parties in one process), and on the carrier node, which answers the airline
  node's questions with it (:mod:`engine.nodes.carrier_node`);
* :class:`engine.wire.remote_carrier.RemoteBudgetView` — the same answers from a carrier node,
  over the link between the nodes (:mod:`engine.wire.grpc_link`).

Only population releases are ever listed or reopened: the carrier's ledger also holds its copies
of cross releases (the airline's to show, from the airline's ledger) and its cached noisy scope
sizes (never published), and both are refused here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from engine.dp import Release
from engine.ledger import SUBSCRIBER_PAIR, Ledger, Scope, party_scopes
from engine.queries import QuerySpec
from foundation.errors import InputError, IntegrityError

__all__ = [
    "CarrierBudgetView",
    "LedgerBudgetView",
    "PopulationEntry",
    "PopulationStanding",
    "population_scopes",
]

POPULATION = "population"


def population_scopes(spec: QuerySpec) -> tuple[Scope, ...]:
    """The carrier's budget scopes ``spec`` reads; InputError unless it is a population spec."""
    if spec.kind != POPULATION:
        raise InputError(
            f"the carrier's budget is shown for population specs only, not for a {spec.kind} "
            "spec: a cross release is charged to, and shown from, the airline's ledger",
            field="kind",
        )
    return party_scopes(SUBSCRIBER_PAIR, spec.data_months)


@dataclass(frozen=True)
class PopulationStanding:
    """The carrier's budget for one population spec: the ρ left in every scope it reads, and
    the id of its published release in the carrier's ledger (None: not released yet)."""

    remaining_rho: Mapping[str, float]
    release_id: int | None

    def __post_init__(self) -> None:
        if not self.remaining_rho:
            raise InputError("a population spec reads at least one month", field="remaining_rho")
        for scope, rho in self.remaining_rho.items():
            if Scope.parse(scope).pair != SUBSCRIBER_PAIR:
                raise InputError(f"{scope} is not a carrier budget scope", field="remaining_rho")
            if not isinstance(rho, float) or not math.isfinite(rho) or rho < 0:
                raise InputError(f"ρ left in {scope} must be a number ≥ 0, not {rho!r}")
        if self.release_id is not None and not _is_id(self.release_id):
            raise InputError(f"a release id is a positive whole number, not {self.release_id!r}")

    @property
    def cached(self) -> bool:
        """Whether the spec was released already (asked again, it is served for free)."""
        return self.release_id is not None


@dataclass(frozen=True)
class PopulationEntry:
    """One published population release as the carrier's ledger lists it (not its values)."""

    release_id: int
    summary: str
    created_at: str
    epsilon: float
    delta: float
    spec: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not _is_id(self.release_id):
            raise InputError(f"a release id is a positive whole number, not {self.release_id!r}")
        if self.spec.get("kind") != POPULATION:
            raise InputError(
                f"carrier release {self.release_id} is not a population release", field="spec"
            )


class CarrierBudgetView(Protocol):
    """The carrier's population budget and releases, as the airline's facade may see them."""

    def answers(self) -> bool:
        """Whether this view can be asked at all (a carrier node of an older release cannot)."""
        ...

    def standing(self, spec: QuerySpec) -> PopulationStanding:
        """The ρ left for population ``spec`` and its published release's id, if any."""
        ...

    def releases(self) -> list[PopulationEntry]:
        """Every published population release, oldest first."""
        ...

    def reopen(self, release_id: int) -> Release:
        """Published population release ``release_id``, at no cost."""
        ...


class LedgerBudgetView:
    """:class:`CarrierBudgetView` over the carrier's own ledger (read only)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def answers(self) -> bool:
        """A ledger in this process always answers."""
        return True

    def standing(self, spec: QuerySpec) -> PopulationStanding:
        """The ρ left in the scopes the carrier would charge, and the published release's id."""
        remaining = {
            str(scope): float(self.ledger.budget(scope).remaining_rho)
            for scope in population_scopes(spec)
        }
        published = (r.id for r in self.ledger.releases() if r.spec_hash == spec.spec_hash)
        return PopulationStanding(remaining, next(published, None))

    def releases(self) -> list[PopulationEntry]:
        """The carrier's population releases; its cross copies and scope sizes are left out."""
        entries = []
        for record in self.ledger.releases():
            release = _population(self.ledger.release(record.id))
            if release is not None:
                entries.append(
                    PopulationEntry(
                        record.id, record.summary, release.created_at, release.epsilon,
                        release.delta, dict(release.query_spec),
                    )
                )  # fmt: skip
        return entries

    def reopen(self, release_id: int) -> Release:
        """The published population release ``release_id``; InputError for any other row."""
        release = _population(self.ledger.release(release_id))
        if release is None:
            raise InputError(
                f"carrier release {release_id} is not a population release; only those are "
                "shown beside the airline's (list them with releases())",
                field="release_id",
            )
        return release


def _population(text: str) -> Release | None:
    """The population release stored in a ledger row; None for a cross copy or a scope size."""
    try:
        release = Release.from_json(text)
    except IntegrityError:  # the carrier's noisy scope sizes are not releases
        return None
    return release if release.query_spec.get("kind") == POPULATION else None


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
