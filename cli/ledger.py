"""``crossmesh budget``, ``crossmesh audit`` and ``crossmesh admin set-budget``: the ledger.

* ``budget --workspace WS [--party P] [--scope S]`` — every scope's total, spent and remaining
  budget, in ρ and as ε at the default δ of :mod:`engine.dp.accounting`. On a freshly prepared
  workspace it shows the default totals of the data's months. ``--scope`` accepts only scopes that
  the party's releases charge (:func:`engine.ledger.scope_for_party`).
* ``budget --verify`` — check every row of the ledger against its keyed hash chain and the
  workspace's anchor: ``ledger verified: N entries``, or the error naming table and row.
* ``audit --workspace WS [--limit N]`` — the append-only audit log, oldest first.
* ``admin set-budget --workspace WS --party P --scope S --rho R [--yes]`` — change a total: an
  administrative act, confirmed, logged with who (``$USER``) and old → new; never below what is
  spent. (``budget --set-total`` is gone and says so.)

All read the ledger the party's workspace folder is anchored to (``WS/<party>/ledger-anchor.json``
→ the party's ledger home) through :class:`engine.ledger.Ledger`; errors of the Crossmesh family
become one line and exit status 2 in :func:`cli.main`.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from cli import app
from engine.ledger import (
    AuditEntry,
    BudgetStatus,
    Ledger,
    epsilon_at_default_delta,
    party_scopes,
    scope_for_party,
)
from foundation.errors import InputError

admin = typer.Typer(
    help="Administrative acts on a ledger (confirmed and audited).", no_args_is_help=True
)
app.add_typer(admin, name="admin")

WorkspaceOption = Annotated[
    Path, typer.Option("--workspace", help="Workspace folder (its <party>/ anchors the ledger).")
]
PartyOption = Annotated[
    str, typer.Option("--party", help="Whose ledger: airline or carrier (each keeps its own).")
]


def _operator() -> str:
    """Who is acting, for the audit log: ``$USER``, else the login name."""
    user = os.environ.get("USER", "").strip()
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no user name in a bare container
            user = "unknown"
    return f"admin:{user}"[:100]


def _epsilon(rho: float) -> str:
    return f"{epsilon_at_default_delta(rho).epsilon:>9.3g}"


def _budget_line(status: BudgetStatus) -> str:
    return (
        f"{status.scope!s:<28} {status.total_rho:>9.6g} {status.spent_rho:>9.6g} "
        f"{status.remaining_rho:>9.6g}  {_epsilon(status.total_rho)} "
        f"{_epsilon(status.spent_rho)} {_epsilon(status.remaining_rho)}"
    )


def _budget_header() -> list[str]:
    at_delta = f"ε at δ={epsilon_at_default_delta(1.0).delta:.0e}"
    return [
        f"{'scope':<28} {'total ρ':>9} {'spent ρ':>9} {'left ρ':>9}  "
        f"{'total ε':>9} {'spent ε':>9} {'left ε':>9}   ({at_delta})"
    ]


@app.command("budget")
def budget_command(
    workspace: WorkspaceOption,
    party: PartyOption = "airline",
    scope: Annotated[
        str | None,
        typer.Option("--scope", help="Only this scope, e.g. airline+carrier@2025-08."),
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the ledger against its hash chain.")
    ] = False,
    set_total: Annotated[float | None, typer.Option("--set-total", hidden=True)] = None,
) -> None:
    """Show each scope's privacy budget (default totals before the first release)."""
    if set_total is not None:
        raise InputError(
            "changing a total is an administrative act: use 'crossmesh admin set-budget "
            f"--workspace {workspace} --party {party} --scope SCOPE --rho RHO'",
            field="--set-total",
        )
    chosen = scope_for_party(party, scope) if scope is not None else None
    with Ledger.in_workspace(workspace, party) as ledger:
        if verify:
            typer.echo(f"ledger verified: {ledger.verify()} entries ({ledger.path})")
            return
        months = Ledger.anchor_months(workspace, party)
        statuses = (
            [ledger.budget(chosen)]
            if chosen is not None
            else ledger.budgets(include=party_scopes(party, months))
        )
    for line in _budget_header():
        typer.echo(line)
    for status in statuses:
        typer.echo(_budget_line(status))
    if not statuses:
        typer.echo("(no scope has been set or charged yet; each month starts at the default)")
    typer.echo("left ε: the largest single release that still fits (ε does not add up; ρ does)")


@admin.command("set-budget")
def set_budget_command(
    workspace: WorkspaceOption,
    scope: Annotated[str, typer.Option("--scope", help="Scope, e.g. carrier@2025-08.")],
    rho: Annotated[float, typer.Option("--rho", help="The new total ρ of the scope.", min=0.0)],
    party: PartyOption = "airline",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Change the total ρ of one scope: confirmed, audited (who, old → new), never below spent."""
    chosen = scope_for_party(party, scope)
    with Ledger.in_workspace(workspace, party) as ledger:
        before = ledger.budget(chosen)
        if rho < before.spent_rho:
            raise InputError(
                f"{chosen} has ρ={before.spent_rho:.6g} spent already; its total cannot be "
                f"lowered to ρ={rho:.6g}",
                field="--rho",
            )
        if not yes:
            typer.confirm(
                f"Change the total of {chosen} in the {party}'s ledger from "
                f"ρ={before.total_rho:.6g} to ρ={rho:.6g} (ε≈{_epsilon(rho).strip()})?",
                abort=True,
            )
        after = ledger.set_budget(chosen, rho, _operator())
    typer.echo(
        f"{chosen}: total ρ {before.total_rho:.6g} → {after.total_rho:.6g} "
        f"(spent {after.spent_rho:.6g}, left {after.remaining_rho:.6g}); logged as {_operator()}"
    )


def _audit_line(entry: AuditEntry) -> str:
    rho = f"{entry.rho:.6g}" if entry.rho is not None else "-"
    epsilon = f"{entry.epsilon:.3g}" if entry.epsilon is not None else "-"
    spec = entry.spec_hash[:12] if entry.spec_hash else "-"
    return (
        f"{entry.id:>5} {entry.at} {entry.actor:<16} {entry.action.value:<10} "
        f"{entry.scope or '-':<28} {spec:<12} {rho:>9} {epsilon:>7}  {entry.detail}"
    )


@app.command("audit")
def audit_command(
    workspace: WorkspaceOption,
    party: PartyOption = "airline",
    limit: Annotated[
        int | None, typer.Option("--limit", help="Only the newest N rows.", min=1)
    ] = None,
) -> None:
    """Print the ledger's append-only audit log, oldest first."""
    with Ledger.in_workspace(workspace, party) as ledger:
        entries = ledger.audit(limit)
    typer.echo(
        f"{'id':>5} {'at (UTC)':<29} {'actor':<16} {'action':<10} {'scope':<28} "
        f"{'spec':<12} {'ρ':>9} {'ε':>7}  detail"
    )
    for entry in entries:
        typer.echo(_audit_line(entry))
