"""The privacy-budget ledger: budgets per scope, atomic reservations, the release cache, the log.

How a release goes through one party's ledger (DESIGN §3 step 1, §5)::

    reserve_or_cached(spec_hash, scopes, rho, actor)
        ├─ a release for spec_hash is stored  → CachedRelease (spends nothing; audit cache_hit)
        ├─ a live process is releasing it now → wait for it, then the cache; or BudgetExceeded
        ├─ every scope has remaining ≥ rho    → Reservation (charged now; audit reserve)
        └─ otherwise                          → BudgetExceeded saying what is left (audit refuse)
    … draw the noise, finish the release …
    commit(reservation, release_json)         → stored in the cache (audit commit)

Each step is one ``BEGIN IMMEDIATE`` transaction (:mod:`engine.ledger.connection`), so concurrent
releases, in threads or processes, can never overspend, and two identical requests never both
spend. Each party keeps its own file per dataset in its ledger home (:mod:`engine.ledger.home`),
anchored in its workspace (:mod:`engine.ledger.anchor`); every row is under a keyed hash chain
checked on opening (:mod:`engine.ledger.chain`, :mod:`engine.ledger.opening`). The tables and
their guards are in :mod:`engine.ledger.schema`, the log in :mod:`engine.ledger.audit`, ρ → ε
for display in :mod:`engine.ledger.epsilon`, the liveness of reservation holders in
:mod:`engine.ledger.holders`, and the decisions inside one transaction in
:mod:`engine.ledger.authorise`.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

from engine.ledger import authorise, opening, records
from engine.ledger.anchor import ANCHOR_FILE, AnchorEntry, WorkspaceAnchor
from engine.ledger.audit import append_audit, join_scopes, read_audit
from engine.ledger.chain import ChainHead, check_sealed, seal
from engine.ledger.holders import holder_is_alive
from engine.ledger.home import ledger_path
from engine.ledger.records import ChargeRequest, ScopeUnits, checked_scope
from engine.ledger.values import (
    AuditAction,
    AuditEntry,
    BudgetStatus,
    CachedRelease,
    LedgerTotals,
    ReleaseRecord,
    Reservation,
    Scope,
    check_actor,
    check_spec_hash,
    rho_from_units,
    rho_to_units,
)
from engine.workspace import Workspace
from foundation.errors import BudgetExceeded, ConfigError, InputError

__all__ = ["DEFAULT_TOTAL_RHO", "DEFAULT_WAIT_SECONDS", "Ledger"]

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


class Ledger:
    """The privacy-budget ledger in one SQLite file; safe across threads and processes.

    Opening checks the whole file against its keyed hash chain (:mod:`engine.ledger.chain`) and
    against every anchor given (:mod:`engine.ledger.anchor`); a ledger that fails is refused with
    :class:`~foundation.errors.IntegrityError`, never repaired or replaced. ``dataset_id`` binds
    the file to one dataset (:mod:`engine.ledger.home`): opened for another, it is refused, so its
    cached releases are never served for other data. ``anchors`` need a ``dataset_id``.
    """

    def __init__(
        self,
        path: Path,
        *,
        default_total_rho: float = DEFAULT_TOTAL_RHO,
        create: bool = True,
        dataset_id: str | None = None,
        anchors: Sequence[Path] = (),
    ) -> None:
        self.path = Path(path)
        if anchors and dataset_id is None:
            raise ConfigError("a ledger kept with workspace anchors needs its dataset identity")
        self.dataset_id = dataset_id
        self._anchors = tuple(WorkspaceAnchor(Path(anchor)) for anchor in anchors)
        self._default_units = rho_to_units(
            default_total_rho, round_up=False, field="default_total_rho"
        )
        self._db, self._key, head = opening.open_checked(
            self.path, create=create, dataset_id=dataset_id, anchors=self._anchors
        )
        self._ledger_id = self._meta("ledger_id")
        self._advance(head)

    @classmethod
    def for_dataset(
        cls,
        folder: Path,
        party: str,
        dataset_id: str,
        *,
        default_total_rho: float = DEFAULT_TOTAL_RHO,
    ) -> Ledger:
        """The ledger of ``party`` for ``dataset_id``, anchored in its workspace ``folder``.

        The ledger is the one the folder's anchor recorded for this dataset, else the one in the
        ledger home (:func:`engine.ledger.home.ledger_path`), created on first use. Two workspaces
        over the same data therefore share one ledger and one budget.
        """
        anchor = WorkspaceAnchor(Path(folder) / ANCHOR_FILE)
        entry = anchor.entry(dataset_id)
        path = Path(entry.path) if entry is not None else ledger_path(party, dataset_id)
        return cls(
            path, default_total_rho=default_total_rho, dataset_id=dataset_id, anchors=(anchor.path,)
        )

    @classmethod
    def in_workspace(
        cls, root: Path, party: str = "airline", *, default_total_rho: float = DEFAULT_TOTAL_RHO
    ) -> Ledger:
        """The ledger ``party`` last used in the workspace at ``root`` (never a new one)."""
        anchor = WorkspaceAnchor(Workspace(Path(root)).party(party).path(ANCHOR_FILE))
        entry = anchor.current()
        if entry is None:
            raise ConfigError(
                f"no ledger is bound to the {party}'s folder of {root}; run 'crossmesh prepare "
                f"--data DATA --workspace {root}' first"
            )
        return cls(
            Path(entry.path),
            default_total_rho=default_total_rho,
            create=False,
            dataset_id=entry.dataset_id,
            anchors=(anchor.path,),
        )

    @classmethod
    def anchor_months(cls, root: Path, party: str) -> tuple[str, ...]:
        """The months of ``party``'s prepared data as its workspace anchor recorded them."""
        anchor = WorkspaceAnchor(Workspace(Path(root)).party(party).path(ANCHOR_FILE))
        entry = anchor.current()
        return entry.months if entry is not None else ()

    def note_months(self, months: Iterable[str]) -> None:
        """Record in every anchor the months of the party's prepared data."""
        if self.dataset_id is not None:
            for anchor in self._anchors:
                anchor.note_months(self.dataset_id, tuple(months))

    @property
    def ledger_id(self) -> str:
        """The random identity this ledger file was given when it was created."""
        return self._ledger_id

    def verify(self) -> int:
        """Check every row against the chain and the anchors; the number of chain links."""
        with self._db.read() as connection:
            head = opening.verified_head(self.path, connection, self._key)
            opening.check_anchors(self.path, connection, self._anchors, self._ledger_id)
        return head.seq

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
        """Set the total ρ of ``scope`` (logged, old → new); InputError below what is spent.

        Raising a total is an administrative act (``crossmesh admin set-budget``); lowering it
        below what was already spent would only hide the overspending, so it is refused.
        """
        units = rho_to_units(total_rho, round_up=False, field="total_rho")
        check_actor(actor)
        with self._write() as connection:
            spent = self._units(connection, checked_scope(scope))
            if units < spent.spent:
                raise InputError(
                    f"the total of {scope} cannot be lowered to ρ={total_rho:.6g}: "
                    f"ρ={spent.status().spent_rho:.6g} is already spent",
                    field="total_rho",
                )
            before = spent.status()
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

    def budgets(self, include: Iterable[Scope] = ()) -> list[BudgetStatus]:
        """Every scope that was ever set or charged, and those of ``include``, in scope order."""
        with self._db.read() as connection:
            scopes = set(records.known_scopes(connection)) | {checked_scope(s) for s in include}
            return [self._units(connection, scope).status() for scope in sorted(scopes)]

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
        with self._write() as connection:
            outcome = authorise.charge(connection, request, self._default_units)
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
            with self._write() as connection:
                outcome = authorise.serve_or_charge(connection, request, self._default_units)
            if isinstance(outcome, BudgetExceeded):
                raise outcome
            if not isinstance(outcome, authorise.InProgress):
                return outcome
            if time.monotonic() >= deadline:
                raise authorise.in_progress_error(request, outcome.holder)
            time.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    def commit(self, reservation: Reservation, release_json: str, *, summary: str = "") -> int:
        """Store the release of ``reservation`` in the cache under its spec hash; return its id."""
        _check_release_json(release_json)
        with self._write() as connection:
            records.check_committable(connection, reservation)
            release_id = records.insert_release(connection, reservation, release_json, summary)
            append_audit(
                connection,
                reservation.actor,
                AuditAction.COMMIT,
                scope=join_scopes(reservation.scopes),
                spec_hash=reservation.spec_hash,
                rho=reservation.rho,
                detail=f"reservation {reservation.id} → release {release_id}"
                + (f"; {summary}" if summary else ""),
            )
        return release_id

    def abandon(self, reservation: Reservation, reason: str) -> None:
        """Give up a pending release after an error: its budget stays spent, its spec is freed."""
        with self._write() as connection:
            if records.mark_abandoned(connection, reservation.id):
                append_audit(
                    connection,
                    reservation.actor,
                    AuditAction.ABANDON,
                    scope=join_scopes(reservation.scopes),
                    spec_hash=reservation.spec_hash,
                    detail=f"reservation {reservation.id} stays spent: {reason[:200]}",
                )

    def settle_dead(self, actor: str) -> int:
        """Record as abandoned every pending reservation whose process is gone; how many.

        A node calls this when it starts: a reservation of an earlier process of its own (killed
        mid-query) can never be committed, so it is marked abandoned in the audit log rather than
        left pending; its budget stays spent, as for any reservation (:meth:`reserve`).
        """
        check_actor(actor)
        settled = 0
        with self._write() as connection:
            for reservation_id, spec_hash, holder, created in records.pending_all(connection):
                if holder_is_alive(holder, created) or not records.mark_abandoned(
                    connection, reservation_id
                ):
                    continue
                append_audit(
                    connection,
                    actor,
                    AuditAction.ABANDON,
                    spec_hash=spec_hash,
                    detail=f"reservation {reservation_id} stays spent: its {holder} is gone "
                    "(settled when the node started)",
                )
                settled += 1
        return settled

    def totals(self) -> LedgerTotals:
        """ρ charged over every scope: committed, abandoned and pending (:class:`LedgerTotals`)."""
        with self._db.read() as connection:
            units = records.units_by_state(connection)
        parts = {state: rho_from_units(units.get(state, 0)) for state in records.STATES}
        return LedgerTotals(
            rho_from_units(sum(units.values())),
            parts["committed"],
            parts["abandoned"],
            parts["pending"],
        )

    def note_refusal(self, actor: str, detail: str) -> None:
        """Log a step a node refused (a replayed or out-of-order message): nothing is charged."""
        check_actor(actor)
        with self._write() as connection:
            append_audit(connection, actor, AuditAction.REFUSE, rho=0.0, detail=detail[:200])

    def is_pending(self, reservation_id: int, spec_hash: str) -> bool:
        """Whether ``reservation_id`` is a live (pending) reservation for ``spec_hash``.

        A node can ask this before a step that reveals something: only a live reservation
        authorises it.
        """
        with self._db.read() as connection:
            row = connection.execute(
                "SELECT spec_hash, state FROM reservations WHERE id = ?", (reservation_id,)
            ).fetchone()
        return row is not None and row[0] == spec_hash and row[1] == "pending"

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

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction that refuses unsealed rows and seals its own before COMMIT."""
        with self._db.write() as connection:
            check_sealed(connection)
            yield connection
            head = seal(connection, self._key)
        self._advance(head)

    def _advance(self, head: ChainHead) -> None:
        if self.dataset_id is None:
            return
        for anchor in self._anchors:
            anchor.advance(
                AnchorEntry(self.dataset_id, str(self.path), self._ledger_id, head.seq, head.mac)
            )

    def _meta(self, name: str) -> str:
        with self._db.read() as connection:
            return opening.meta_value(connection, name) or ""

    def _units(self, connection: sqlite3.Connection, scope: Scope) -> ScopeUnits:
        return records.scope_units(connection, scope, self._default_units)


def _check_release_json(release_json: str) -> None:
    try:
        json.loads(release_json)
    except (TypeError, ValueError) as error:
        raise InputError(
            f"the release to commit is not valid JSON ({error})", field="release_json"
        ) from error
