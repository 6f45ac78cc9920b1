"""What both parties must agree on besides the query: side-channel budgets, sizes and limits.

Protocol v2 reveals three counts besides the release itself, each DP-noised (DESIGN §5):

* the match count per group the airline sees — hidden by ``m`` dummy keys per group whose coins
  the carrier flips (:class:`~engine.dp.side_channels.DummyCoins`), charged to the carrier's
  ledger: ``match_rho``, or more when ``match_rho`` would need more than
  ``max_dummies_per_query`` dummy positions (every dummy costs both parties a scalar
  multiplication and the airline an encryption, so a query with many groups buys fewer dummies
  per group and pays for it in ρ, in the carrier's ledger);
* the scope size the airline sees — padded once per (family, month block) to a cached noisy size
  (:class:`~engine.dp.side_channels.PaddingNoise`), charged ``scope_rho`` to the carrier's ledger;
* the group sizes the carrier sees — padded with random points, charged ``group_rho`` to the
  airline's ledger.

Both nodes hold a :class:`SideChannelPolicy`; the airline sends its own in the query request and
the carrier refuses a query whose policy differs from its own, so neither can be talked into
weaker protection. :func:`plan_side_channels` turns a policy and a query shape into the numbers
both parties need (dummies per group, padding noises), the same on both sides.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from engine.dp.bounds import sqrt_rounded_up
from engine.dp.side_channels import DummyCoins, PaddingNoise, dummy_count
from engine.queries.shapes import QueryShape, ScopeBlock
from foundation.errors import ConfigError, ProtocolError

__all__ = ["SideChannelPlan", "SideChannelPolicy", "plan_side_channels"]


@dataclass(frozen=True)
class SideChannelPolicy:
    """Budgets of the side channels, and the carrier's limits against a deviating airline."""

    match_rho: float = 0.005
    scope_rho: float = 0.01
    group_rho: float = 0.005
    delta_tail: float = 1e-9
    max_dummies_per_query: int = 20_000
    max_points_per_query: int = 2_000_000
    max_points_per_month: int = 50_000_000
    min_group_points: int = 16
    canaries_per_group: int = 2
    partition_points: int = 4096

    def __post_init__(self) -> None:
        for name in ("match_rho", "scope_rho", "group_rho", "delta_tail"):
            value = getattr(self, name)
            if not 0 < value < 1:
                raise ConfigError(f"{name} must be in (0, 1), not {value}")
        if self.min_group_points < 1 or self.partition_points < 1:
            raise ConfigError("group and partition sizes must be positive")

    def to_dict(self) -> dict[str, float | int]:
        """The policy as JSON-able values (sent with a query request)."""
        return asdict(self)

    def check_peer(self, peer: dict[str, object]) -> None:
        """Refuse a peer's policy that differs from this node's (ProtocolError)."""
        if peer != self.to_dict():
            raise ProtocolError(
                "the peer's side-channel policy differs from this node's; configure both nodes "
                "with the same policy"
            )


@dataclass(frozen=True)
class SideChannelPlan:
    """The side-channel numbers of one query: dummies, group padding, scope padding."""

    coins: DummyCoins
    canaries: int
    group_padding: PaddingNoise
    scope_rho: float
    delta_tail: float

    @property
    def match_rho(self) -> float:
        """ρ the dummy coins give the match counts (charged to the carrier's ledger)."""
        return self.coins.rho

    @property
    def dummies_per_group(self) -> int:
        """Dummy keys per group: ``m`` with fair coins, then the canaries (always matching)."""
        return self.coins.per_group + self.canaries

    def scope_padding(self, block: ScopeBlock, month_family: bool) -> PaddingNoise:
        """The padding noise of one scope block (a person has one record per period)."""
        periods = 1 if month_family else block.days()
        return PaddingNoise(self.scope_rho, float(periods), self.delta_tail)


def plan_side_channels(policy: SideChannelPolicy, shape: QueryShape) -> SideChannelPlan:
    """Dummies and paddings for ``shape`` under ``policy`` (both parties compute the same)."""
    groups = shape.bounds.max_groups
    keys = shape.bounds.max_records_per_group
    canaries = policy.canaries_per_group
    affordable = max(1, policy.max_dummies_per_query // shape.groups - canaries)
    per_group = min(dummy_count(groups, keys, policy.match_rho), affordable)
    coins = DummyCoins(per_group, groups, keys)  # the canaries' coins are known: not counted
    padding = PaddingNoise(policy.group_rho, sqrt_rounded_up(groups * keys**2), policy.delta_tail)
    return SideChannelPlan(coins, canaries, padding, policy.scope_rho, policy.delta_tail)
