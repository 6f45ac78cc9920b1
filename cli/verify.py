"""``crossmesh verify`` and ``crossmesh repair``: is every stored file what was written, and if not,
rebuild what the inputs can rebuild.

``verify`` exits 0 when every checked party folder is clean, 1 when it found problems (each
printed on one line), and 2 — as every Crossmesh error — when it could not check at all (not a
workspace; a ``prepare`` holding the folder's lock). ``repair`` exits 0 when nothing is left
that it could not repair, else 1 after saying what the operator must do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import app
from engine.maintenance import PARTIES, repair_party, verify_party
from engine.workspace import Workspace
from foundation.errors import ConfigError
from geo.areas import DEFAULT_GEO_DIR, load_area_map

PartyOption = Annotated[
    str | None, typer.Option("--party", help="airline or carrier (default: both).")
]
WorkspaceOption = Annotated[Path, typer.Option("--workspace", help="Workspace folder.")]


def _parties(party: str | None) -> tuple[str, ...]:
    if party is None:
        return PARTIES
    if party not in PARTIES:
        raise ConfigError(f"--party is 'airline' or 'carrier', not {party!r}")
    return (party,)


@app.command("verify")
def verify(
    party: PartyOption = None,
    workspace: WorkspaceOption = Path("workspace"),
    data: Annotated[Path | None, typer.Option("--data", help="Not needed to verify.")] = None,
) -> None:
    """Check every stored file against its manifest (checksum, MAC) and every key's fingerprint."""
    del data  # accepted so that verify and repair take the same options
    space = Workspace.open(workspace, create=False)
    problems = 0
    for name in _parties(party):
        findings = verify_party(space, name)
        problems += len(findings)
        typer.echo(f"{name}: {'clean' if not findings else f'{len(findings)} problem(s)'}")
        for finding in findings:
            typer.echo(f"  - {finding.problem}")
    if problems:
        typer.echo(f"run 'crossmesh repair --workspace {workspace} --data DATA'", err=True)
        raise typer.Exit(1)


@app.command("repair")
def repair(
    party: PartyOption = None,
    workspace: WorkspaceOption = Path("workspace"),
    data: Annotated[
        Path | None, typer.Option("--data", help="The parties' data folder (rebuilds views).")
    ] = None,
    geo_dir: Annotated[Path, typer.Option(help="Imported N03 areas, as for prepare.")] = (
        DEFAULT_GEO_DIR
    ),
) -> None:
    """Remove leftovers, rebuild the carrier's views from its inputs; say what cannot be rebuilt.

    A lost or changed Paillier key is never regenerated: releases already published stay
    valid, and the operator restores the airline's keys from a backup or starts a new
    workspace. Budget ledgers are never reset or removed.
    """
    space = Workspace.open(workspace, create=False)
    area_map = load_area_map(geo_dir if geo_dir.exists() else None) if data else None
    left = 0
    for name in _parties(party):
        report = repair_party(space, name, data, area_map)
        typer.echo(f"{name}: {'; '.join(report.done) or 'nothing to repair'}")
        for item in report.not_repaired:
            typer.echo(f"  cannot repair: {item}")
        left += len(report.not_repaired)
    if left:
        raise typer.Exit(1)
