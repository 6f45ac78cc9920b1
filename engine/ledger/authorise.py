"""Authorising one release, inside one IMMEDIATE transaction: serve, wait, charge or refuse.

:class:`engine.ledger.Ledger` opens the transaction and acts on the outcome; these functions
decide, and write the rows and audit entries that go with the decision::

    serve_or_charge
        ├─ a release for the spec is stored   → CachedRelease  (audit cache_hit, ρ 0)
        ├─ a live process holds the spec      → InProgress     (nothing written)
        ├─ dead holders                       → abandoned      (audit abandon; budget stays spent)
        └─ charge
            ├─ every scope has remaining ≥ ρ  → Reservation    (audit reserve, one row per scope)
            └─ otherwise                      → BudgetExceeded (audit refuse, one row per scope)

Refusals are *returned*, not raised, so that the refusal's audit rows are committed with the
transaction; the ledger raises them afterwards.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from engine.ledger import records
from engine.ledger.audit import append_audit, join_scopes
from engine.ledger.epsilon import describe_rho
from engine.ledger.holders import ProcessHolder, current_holder, holder_is_alive
from engine.ledger.records import ChargeRequest, ScopeUnits
from engine.ledger.values import AuditAction, CachedRelease, Reservation
from foundation.errors import BudgetExceeded

__all__ = ["InProgress", "charge", "in_progress_error", "serve_or_charge"]


@dataclass(frozen=True)
class InProgress:
    """A live process holds a pending reservation for the same spec."""

    holder: ProcessHolder


def serve_or_charge(
    connection: sqlite3.Connection, request: ChargeRequest, default_total: int
) -> Reservation | CachedRelease | BudgetExceeded | InProgress:
    """The cached release, a wait, or :func:`charge`; see the module's map."""
    cached = _serve_from_cache(connection, request)
    if cached is not None:
        return cached
    for reservation_id, holder, created in records.pending(connection, request.spec_hash):
        if holder_is_alive(holder, created):
            return InProgress(holder)
        records.mark_abandoned(connection, reservation_id)
        append_audit(
            connection,
            request.actor,
            AuditAction.ABANDON,
            spec_hash=request.spec_hash,
            detail=f"reservation {reservation_id} stays spent: its process is gone",
        )
    return charge(connection, request, default_total)


def _serve_from_cache(
    connection: sqlite3.Connection, request: ChargeRequest
) -> CachedRelease | None:
    found = records.stored_release(connection, request.spec_hash)
    if found is None:
        return None
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


def charge(
    connection: sqlite3.Connection, request: ChargeRequest, default_total: int
) -> Reservation | BudgetExceeded:
    """Charge every scope of ``request``, or none and return the refusal."""
    budgets = [records.scope_units(connection, s, default_total) for s in request.scopes]
    if any(budget.remaining < request.units for budget in budgets):
        return _refuse(connection, request, budgets)
    for scope in request.scopes:
        records.ensure_budget_row(connection, scope, default_total, request.actor)
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


def _refuse(
    connection: sqlite3.Connection, request: ChargeRequest, budgets: list[ScopeUnits]
) -> BudgetExceeded:
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
    short = ", ".join(str(b.scope) for b in budgets if b.remaining < request.units)
    left = "; ".join(
        f"{s.scope}: {describe_rho(s.remaining_rho)} left of ρ={s.total_rho:.6g}"
        for s in (budget.status() for budget in budgets)
    )
    return BudgetExceeded(
        f"privacy budget too small in {short}: this release needs {describe_rho(request.rho)} "
        f"in each of its periods. Left: {left}. Release fewer cells or with a smaller ρ, wait "
        "for a new period, or have an administrator raise a total with "
        "'crossmesh admin set-budget --workspace WS --party PARTY --scope SCOPE --rho RHO'."
    )


def in_progress_error(request: ChargeRequest, holder: ProcessHolder) -> BudgetExceeded:
    """The error for a request that waited in vain for a live process releasing the same spec."""
    return BudgetExceeded(
        f"the same query (spec {request.spec_hash[:12]}…) is being released right now by "
        f"{holder}; wait for it to finish and ask again: it will then be served from the cache "
        "at no cost"
    )
