"""``crossmesh budget`` and ``crossmesh audit``: the privacy-budget ledger from the command line.

* ``budget --workspace WS`` — every scope's total, spent and remaining budget, in ρ and as ε at
  the default δ of :mod:`engine.dp.accounting`;
  ``--set-total RHO --scope PAIR@YYYY-MM`` sets a scope's total first (and is logged).
* ``audit --workspace WS [--limit N]`` — the append-only audit log, oldest first.

Both read one party's ``WS/<party>/ledger.sqlite`` (``--party``, the airline's by default)
through :class:`engine.ledger.Ledger`; errors of the Crossmesh family become one line and exit
status 2 in :func:`cli.main`.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from cli import app
from engine.ledger import AuditEntry, BudgetStatus, Ledger, Scope, epsilon_at_default_delta
from foundation.errors import InputError

WorkspaceOption = Annotated[
    Path, typer.Option("--workspace", help="Workspace folder holding <party>/ledger.sqlite.")
]
PartyOption = Annotated[
    str, typer.Option("--party", help="Whose ledger: airline or carrier (each keeps its own).")
]


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


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
    set_total: Annotated[
        float | None, typer.Option("--set-total", help="New total ρ for --scope.", min=0.0)
    ] = None,
    scope: Annotated[
        str | None,
        typer.Option("--scope", help="Scope PAIR@YYYY-MM, e.g. airline+carrier@2025-08."),
    ] = None,
    actor: Annotated[str, typer.Option("--actor", help="Who sets the total (audit log).")] = "",
) -> None:
    """Show each scope's privacy budget; with --set-total and --scope, set one first."""
    if set_total is not None and scope is None:
        raise InputError("--set-total needs --scope PAIR@YYYY-MM", field="--scope")
    chosen = Scope.parse(scope) if scope is not None else None
    with Ledger.in_workspace(workspace, party, create=set_total is not None) as ledger:
        if set_total is not None and chosen is not None:
            ledger.set_budget(chosen, set_total, actor or _default_actor())
        statuses = [ledger.budget(chosen)] if chosen is not None else ledger.budgets()
    for line in _budget_header():
        typer.echo(line)
    for status in statuses:
        typer.echo(_budget_line(status))
    if not statuses:
        typer.echo("(no scope has been set or charged yet)")
    typer.echo("left ε: the largest single release that still fits (ε does not add up; ρ does)")


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
    with Ledger.in_workspace(workspace, party, create=False) as ledger:
        entries = ledger.audit(limit)
    typer.echo(
        f"{'id':>5} {'at (UTC)':<29} {'actor':<16} {'action':<10} {'scope':<28} "
        f"{'spec':<12} {'ρ':>9} {'ε':>7}  detail"
    )
    for entry in entries:
        typer.echo(_audit_line(entry))
