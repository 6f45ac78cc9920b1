"""The values the ledger hands out and takes in, and its fixed-point unit of ρ.

* :class:`Scope` — what a budget belongs to: a dataset pair and a budget period (a calendar month,
  ``YYYY-MM``), written ``PAIR@YYYY-MM``. :meth:`Scope.spanning` lists the months a release's data
  covers, because a release charges every period it reads (DESIGN §5).
* :class:`BudgetStatus`, :class:`Reservation`, :class:`CachedRelease`, :class:`AuditEntry`,
  :class:`ReleaseRecord` — frozen, validated when built, so nothing malformed crosses the boundary.

Why fixed point: the ledger adds and compares privacy costs. In binary floating point
``0.1 + 0.1 + 0.1 > 0.3``, so a budget of exactly three releases of ρ = 0.1 would refuse the third.
The ledger therefore stores ρ as an integer number of :data:`RHO_UNITS_PER_RHO` (pico-ρ), reading
the decimal a person typed (``str(0.1)`` is ``"0.1"``). Costs round *up* and totals round *down*,
so rounding can only ever make the ledger stricter, never let it overspend.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from foundation.errors import InputError

__all__ = [
    "RHO_UNITS_PER_RHO",
    "AuditAction",
    "AuditEntry",
    "BudgetStatus",
    "CachedRelease",
    "ReleaseRecord",
    "Reservation",
    "Scope",
    "check_actor",
    "check_spec_hash",
    "rho_from_units",
    "rho_to_units",
]

RHO_UNITS_PER_RHO = 10**12
_PAIR = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_SPEC_HASH = re.compile(r"[0-9a-f]{16,128}")
_ACTOR_MAX = 100


class AuditAction(StrEnum):
    """What an audit row records."""

    SET_BUDGET = "set_budget"
    RESERVE = "reserve"
    REFUSE = "refuse"
    COMMIT = "commit"
    CACHE_HIT = "cache_hit"
    ABANDON = "abandon"


def rho_to_units(rho: float, *, round_up: bool, field: str = "rho") -> int:
    """ρ as integer pico-ρ; ``round_up`` for costs, down for totals. Rejects negative or NaN."""
    if isinstance(rho, bool) or not isinstance(rho, int | float) or not math.isfinite(rho):
        raise InputError(f"{field} must be a finite number, not {rho!r}", field=field)
    if rho < 0:
        raise InputError(f"{field} must not be negative, not {rho!r}", field=field)
    rounding = ROUND_CEILING if round_up else ROUND_FLOOR
    return int((Decimal(str(rho)) * RHO_UNITS_PER_RHO).to_integral_value(rounding))


def rho_from_units(units: int) -> float:
    """Pico-ρ back to ρ, for people and JSON."""
    return units / RHO_UNITS_PER_RHO


def check_spec_hash(spec_hash: str) -> str:
    """Return ``spec_hash`` if it is lowercase hex of 16–128 digits, else raise InputError."""
    if not isinstance(spec_hash, str) or not _SPEC_HASH.fullmatch(spec_hash):
        raise InputError(
            "spec_hash must be the lowercase hex digest of the query spec (16-128 digits)",
            field="spec_hash",
        )
    return spec_hash


def check_actor(actor: str) -> str:
    """Return ``actor`` if it is a short one-line name, else raise InputError."""
    if not isinstance(actor, str) or not actor.strip() or len(actor) > _ACTOR_MAX:
        raise InputError(f"actor must be a name of 1-{_ACTOR_MAX} characters", field="actor")
    if any(ch in actor for ch in "\r\n\t"):
        raise InputError("actor must be one line without tabs", field="actor")
    return actor


@dataclass(frozen=True, order=True)
class Scope:
    """A budget scope: a dataset pair and a budget period (calendar month ``YYYY-MM``)."""

    pair: str
    period: str

    def __post_init__(self) -> None:
        if not isinstance(self.pair, str) or not _PAIR.fullmatch(self.pair):
            raise InputError(
                f"dataset pair must be 1-64 letters, digits or ._+- , not {self.pair!r}",
                field="scope",
            )
        if not isinstance(self.period, str) or not _PERIOD.fullmatch(self.period):
            raise InputError(
                f"budget period must be a month YYYY-MM, not {self.period!r}", field="scope"
            )

    def __str__(self) -> str:
        return f"{self.pair}@{self.period}"

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Read ``PAIR@YYYY-MM`` (e.g. ``airline+carrier@2025-08``)."""
        pair, at, period = str(text).partition("@")
        if not at:
            raise InputError(
                f"scope must look like PAIR@YYYY-MM (e.g. airline+carrier@2025-08), not {text!r}",
                field="scope",
            )
        return cls(pair, period)

    @classmethod
    def spanning(cls, pair: str, first_day: date, last_day: date) -> tuple[Scope, ...]:
        """Every month scope from ``first_day`` to ``last_day`` inclusive, in order."""
        if last_day < first_day:
            raise InputError("a release's last day must not be before its first day", field="dates")
        months = []
        year, month = first_day.year, first_day.month
        while (year, month) <= (last_day.year, last_day.month):
            months.append(cls(pair, f"{year:04d}-{month:02d}"))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return tuple(months)


@dataclass(frozen=True)
class BudgetStatus:
    """A scope's budget: total, spent (reservations included) and what is left, all in ρ."""

    scope: Scope
    total_rho: float
    spent_rho: float
    remaining_rho: float

    def __post_init__(self) -> None:
        for name in ("total_rho", "spent_rho", "remaining_rho"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise InputError(f"{name} must be finite and not negative, not {value!r}")


@dataclass(frozen=True)
class Reservation:
    """Budget charged to every scope of one release; spent for good from the moment it exists."""

    id: int
    spec_hash: str
    scopes: tuple[Scope, ...]
    rho: float
    actor: str

    def __post_init__(self) -> None:
        if self.id <= 0:
            raise InputError(f"reservation id must be positive, not {self.id}")
        check_spec_hash(self.spec_hash)
        if not self.scopes:
            raise InputError("a reservation charges at least one scope", field="scopes")
        if not math.isfinite(self.rho) or self.rho <= 0:
            raise InputError(f"reservation rho must be positive, not {self.rho!r}", field="rho")


@dataclass(frozen=True)
class CachedRelease:
    """A release already stored for an identical query spec; serving it spends nothing."""

    release_id: int
    spec_hash: str
    release_json: str

    def __post_init__(self) -> None:
        check_spec_hash(self.spec_hash)


@dataclass(frozen=True)
class ReleaseRecord:
    """One committed release as the dashboard lists it (the JSON itself via ``Ledger.release``)."""

    id: int
    spec_hash: str
    summary: str
    rho: float
    scopes: tuple[Scope, ...]
    created: str

    def __post_init__(self) -> None:
        check_spec_hash(self.spec_hash)


@dataclass(frozen=True)
class LedgerTotals:
    """ρ charged over every scope of a ledger, by what became of each reservation.

    ``spent`` is what the budgets show as spent, and always ``committed + abandoned + pending``;
    a settled ledger (no query under way) has nothing pending: every charge is a committed
    release, or a reservation recorded as abandoned whose budget stays spent.
    """

    spent_rho: float
    committed_rho: float
    abandoned_rho: float
    pending_rho: float


@dataclass(frozen=True)
class AuditEntry:
    """One row of the append-only audit log. Never holds personal data or exact counts."""

    id: int
    at: str
    actor: str
    action: AuditAction
    scope: str | None
    spec_hash: str | None
    rho: float | None
    epsilon: float | None
    delta: float | None
    detail: str

    def __post_init__(self) -> None:
        if not isinstance(self.action, AuditAction):
            raise InputError(f"unknown audit action {self.action!r}", field="action")
