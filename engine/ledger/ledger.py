"""The privacy-budget ledger: budgets per scope, atomic reservations, the release cache, the log.

How a release goes through it (DESIGN §5, step A4)::

    reserve_or_cached(spec_hash, scopes, rho, actor)
        ├─ a release for spec_hash is stored  → CachedRelease (spends nothing; audit cache_hit)
        ├─ a live process is releasing it now → wait for it, then the cache; or BudgetExceeded
        ├─ every scope has remaining ≥ rho    → Reservation (charged now; audit reserve)
        └─ otherwise                          → BudgetExceeded saying what is left (audit refuse)
    … draw the noise, finish the release …
    commit(reservation, release_json)         → stored in the cache (audit commit)

Each step is one ``BEGIN IMMEDIATE`` transaction (:mod:`engine.ledger.connection`), so concurrent
releases, in threads or processes, can never overspend, and two identical requests never both
spend. The file is ``WS/ledger/ledger.sqlite``; the tables and their guards are in
:mod:`engine.ledger.schema`, the log in :mod:`engine.ledger.audit`, ρ → ε for display in
:mod:`engine.ledger.epsilon`, the liveness of reservation holders in :mod:`engine.ledger.holders`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from engine.errors import BudgetExceeded, ConfigError, InputError
from engine.ledger import records
from engine.ledger.audit import append_audit, join_scopes, read_audit
from engine.ledger.connection import LedgerConnection
from engine.ledger.epsilon import describe_rho
from engine.ledger.holders import ProcessHolder, current_holder, holder_is_alive
from engine.ledger.records import ChargeRequest, ScopeUnits, checked_scope
from engine.ledger.schema import migrate
from engine.ledger.values import (
    AuditAction,
    AuditEntry,
    BudgetStatus,
    CachedRelease,
    ReleaseRecord,
    Reservation,
    Scope,
    check_actor,
    check_spec_hash,
    rho_from_units,
    rho_to_units,
)
from engine.workspace import Workspace

__all__ = ["DEFAULT_TOTAL_RHO", "DEFAULT_WAIT_SECONDS", "LEDGER_FILE", "Ledger"]

LEDGER_FILE = "ledger.sqlite"

DEFAULT_TOTAL_RHO = 0.5
"""Budget of a scope (one dataset pair × one calendar month) until someone sets another.

ρ = 0.5 is ε ≈ 5.2 at δ = 1e-6 for everything released about one month of data: the order of
magnitude of published deployments (the 2020 US Census redistricting data spent ρ ≈ 2.6 on persons),
kept smaller because mobility data recur every month. It buys useful releases: one at ρ = 0.05
(ε ≈ 1.5) has discrete-Gaussian σ = Δ₂/√(2ρ) ≈ 3.2 for Δ₂ = 1, a 95 % error of about ±6 per
cell, below the suppression threshold of 10; so about ten such releases fit into a month.
"""

DEFAULT_WAIT_SECONDS = 30.0
_POLL_FIRST, _POLL_MAX = 0.05, 0.5


class _InProgress:
    """A live process holds a pending reservation for the same spec."""

    def __init__(self, holder: ProcessHolder) -> None:
        self.holder = holder


class Ledger:
    """The privacy-budget ledger in one SQLite file; safe across threads and processes."""

    def __init__(
        self, path: Path, *, default_total_rho: float = DEFAULT_TOTAL_RHO, create: bool = True
    ) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise ConfigError(
                f"no ledger at {self.path}; it is created by the first release or by "
                "'crossmesh budget --set-total RHO --scope SCOPE'"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._default_units = rho_to_units(
            default_total_rho, round_up=False, field="default_total_rho"
        )
        self._db = LedgerConnection(self.path)
        try:
            with self._db.write() as connection:
                migrate(connection)
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def in_workspace(
        cls, root: Path, *, default_total_rho: float = DEFAULT_TOTAL_RHO, create: bool = True
    ) -> Ledger:
        """The ledger of the workspace at ``root`` (``WS/ledger/ledger.sqlite``)."""
        path = Workspace(Path(root)).ledger.path(LEDGER_FILE)
        return cls(path, default_total_rho=default_total_rho, create=create)

    def close(self) -> None:
        """Close this process's connection (reopened on next use)."""
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- budgets ---------------------------------------------------------------------------------

    def set_budget(self, scope: Scope, total_rho: float, actor: str) -> BudgetStatus:
        """Set the total ρ of ``scope``. Below what is spent, nothing more can be released."""
        units = rho_to_units(total_rho, round_up=False, field="total_rho")
        check_actor(actor)
        with self._db.write() as connection:
            before = self._units(connection, checked_scope(scope)).status()
            records.upsert_total(connection, scope, units, actor)
            append_audit(
                connection,
                actor,
                AuditAction.SET_BUDGET,
                scope=str(scope),
                rho=rho_from_units(units),
                detail=f"total ρ {before.total_rho:.6g} → {total_rho:.6g}",
            )
            return self._units(connection, scope).status()

    def budget(self, scope: Scope) -> BudgetStatus:
        """Total, spent (pending reservations included) and remaining ρ of ``scope``."""
        with self._db.read() as connection:
            return self._units(connection, checked_scope(scope)).status()

    def budgets(self) -> list[BudgetStatus]:
        """Every scope that was ever set or charged, in scope order."""
        with self._db.read() as connection:
            return [
                self._units(connection, scope).status()
                for scope in records.known_scopes(connection)
            ]

    # -- reservations ----------------------------------------------------------------------------

    def reserve(
        self, spec_hash: str, scopes: Iterable[Scope], rho: float, actor: str
    ) -> Reservation:
        """Charge ``rho`` to every scope at once, or to none and raise :class:`BudgetExceeded`.

        Budget reserved here counts as spent from this moment and is never given back: not when the
        release later fails, not when its process is killed before :meth:`commit`. The caller draws
        noise right after this returns, and noise once drawn may have been seen (logged, sent,
        decrypted); a refund would let a crash-and-retry loop average it away. Prefer
        :meth:`reserve_or_cached`, which also serves identical requests from the cache.
        """
        request = ChargeRequest.build(spec_hash, scopes, rho, actor)
        with self._db.write() as connection:
            outcome = self._charge(connection, request)
        if isinstance(outcome, BudgetExceeded):
            raise outcome
        return outcome

    def reserve_or_cached(
        self,
        spec_hash: str,
        scopes: Iterable[Scope],
        rho: float,
        actor: str,
        *,
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
    ) -> Reservation | CachedRelease:
        """The stored release of ``spec_hash`` (free), or a new reservation as :meth:`reserve`.

        If a live process is releasing the same spec right now, wait up to ``wait_seconds`` for its
        release, then raise :class:`BudgetExceeded` saying so. A pending reservation of a process
        that has died stays spent, and the spec gets a new reservation.
        """
        request = ChargeRequest.build(spec_hash, scopes, rho, actor)
        deadline, delay = time.monotonic() + max(0.0, wait_seconds), _POLL_FIRST
        while True:
            with self._db.write() as connection:
                outcome = self._serve_or_charge(connection, request)
            if isinstance(outcome, BudgetExceeded):
                raise outcome
            if not isinstance(outcome, _InProgress):
                return outcome
            if time.monotonic() >= deadline:
                raise _in_progress_error(request, outcome.holder)
            time.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    def commit(self, reservation: Reservation, release_json: str, *, summary: str = "") -> int:
        """Store the release of ``reservation`` in the cache under its spec hash; return its id."""
        _check_release_json(release_json)
        with self._db.write() as connection:
            records.check_committable(connection, reservation)
            release_id = records.insert_release(connection, reservation, release_json, summary)
            append_audit(
                connection,
                reservation.actor,
                AuditAction.COMMIT,
                scope=join_scopes(reservation.scopes),
                spec_hash=reservation.spec_hash,
                rho=reservation.rho,
                detail=f"reservation {reservation.id} → release {release_id}",
            )
        return release_id

    def abandon(self, reservation: Reservation, reason: str) -> None:
        """Give up a pending release after an error: its budget stays spent, its spec is freed."""
        with self._db.write() as connection:
            if records.mark_abandoned(connection, reservation.id):
                append_audit(
                    connection,
                    reservation.actor,
                    AuditAction.ABANDON,
                    scope=join_scopes(reservation.scopes),
                    spec_hash=reservation.spec_hash,
                    detail=f"reservation {reservation.id} stays spent: {reason[:200]}",
                )

    # -- releases and log ------------------------------------------------------------------------

    def cached(self, spec_hash: str) -> str | None:
        """The stored release JSON of ``spec_hash``, or None. A read: spends and logs nothing."""
        with self._db.read() as connection:
            found = records.stored_release(connection, check_spec_hash(spec_hash))
        return found[1] if found else None

    def releases(self) -> list[ReleaseRecord]:
        """Every committed release, oldest first, for the dashboard to list."""
        with self._db.read() as connection:
            return records.release_records(connection)

    def release(self, release_id: int) -> str:
        """The JSON of committed release ``release_id``; reopening a release costs nothing."""
        with self._db.read() as connection:
            return records.release_json(connection, release_id)

    def audit(self, limit: int | None = None) -> list[AuditEntry]:
        """The audit log, oldest first; with ``limit``, only the newest ``limit`` rows."""
        if limit is not None and (isinstance(limit, bool) or limit < 1):
            raise InputError(
                f"limit must be a positive number of rows, not {limit!r}", field="limit"
            )
        with self._db.read() as connection:
            return read_audit(connection, limit)

    # -- inside one transaction ------------------------------------------------------------------

    def _units(self, connection: sqlite3.Connection, scope: Scope) -> ScopeUnits:
        return records.scope_units(connection, scope, self._default_units)

    def _serve_or_charge(
        self, connection: sqlite3.Connection, request: ChargeRequest
    ) -> Reservation | CachedRelease | BudgetExceeded | _InProgress:
        found = records.stored_release(connection, request.spec_hash)
        if found is not None:
            append_audit(
                connection,
                request.actor,
                AuditAction.CACHE_HIT,
                scope=join_scopes(request.scopes),
                spec_hash=request.spec_hash,
                rho=0.0,
                detail=f"served release {found[0]}; nothing spent",
            )
            return CachedRelease(found[0], request.spec_hash, found[1])
        for reservation_id, holder, created in records.pending(connection, request.spec_hash):
            if holder_is_alive(holder, created):
                return _InProgress(holder)
            records.mark_abandoned(connection, reservation_id)
            append_audit(
                connection,
                request.actor,
                AuditAction.ABANDON,
                spec_hash=request.spec_hash,
                detail=f"reservation {reservation_id} stays spent: its process is gone",
            )
        return self._charge(connection, request)

    def _charge(
        self, connection: sqlite3.Connection, request: ChargeRequest
    ) -> Reservation | BudgetExceeded:
        budgets = [self._units(connection, scope) for scope in request.scopes]
        if any(budget.remaining < request.units for budget in budgets):
            for status in (budget.status() for budget in budgets):
                append_audit(
                    connection,
                    request.actor,
                    AuditAction.REFUSE,
                    scope=str(status.scope),
                    spec_hash=request.spec_hash,
                    rho=request.rho,
                    detail=f"remaining ρ {status.remaining_rho:.6g} of {status.total_rho:.6g}",
                )
            return _refusal(request, budgets)
        for scope in request.scopes:
            records.ensure_budget_row(connection, scope, self._default_units, request.actor)
        reservation_id = records.insert_reservation(connection, request, current_holder())
        for scope in request.scopes:
            append_audit(
                connection,
                request.actor,
                AuditAction.RESERVE,
                scope=str(scope),
                spec_hash=request.spec_hash,
                rho=request.rho,
                detail=f"reservation {reservation_id}",
            )
        return Reservation(
            reservation_id, request.spec_hash, request.scopes, request.rho, request.actor
        )


def _check_release_json(release_json: str) -> None:
    try:
        json.loads(release_json)
    except (TypeError, ValueError) as error:
        raise InputError(
            f"the release to commit is not valid JSON ({error})", field="release_json"
        ) from error


def _refusal(request: ChargeRequest, budgets: list[ScopeUnits]) -> BudgetExceeded:
    short = [budget for budget in budgets if budget.remaining < request.units]
    left = "; ".join(
        f"{s.scope}: {describe_rho(s.remaining_rho)} left of ρ={s.total_rho:.6g}"
        for s in (budget.status() for budget in budgets)
    )
    return BudgetExceeded(
        f"privacy budget too small in {', '.join(str(s.scope) for s in short)}: this release needs "
        f"{describe_rho(request.rho)} in each of its periods. Left: {left}. Release fewer cells or "
        "with a smaller ρ, wait for a new period, or raise a total with "
        "'crossmesh budget --workspace WS --set-total RHO --scope SCOPE'."
    )


def _in_progress_error(request: ChargeRequest, holder: ProcessHolder) -> BudgetExceeded:
    return BudgetExceeded(
        f"the same query (spec {request.spec_hash[:12]}…) is being released right now by "
        f"{holder}; wait for it to finish and ask again: it will then be served from the cache "
        "at no cost"
    )
