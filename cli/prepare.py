"""``crossmesh prepare``: both parties' offline steps over a data folder, into a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli import app
from engine.session import SecureSession, SessionSettings
from engine.workspace import Workspace
from foundation.faults import fault_point
from geo.areas import DEFAULT_GEO_DIR, load_area_map


@app.command("prepare")
def prepare(
    data: Annotated[Path, typer.Option("--data", help="Folder with airline/ and carrier/ inputs.")],
    workspace: Annotated[
        Path, typer.Option("--workspace", help="Workspace folder (created if missing).")
    ] = Path("workspace"),
    key_bits: Annotated[int, typer.Option(help="Paillier modulus size: 2048 or 3072.")] = 2048,
    geo_dir: Annotated[
        Path, typer.Option(help="Imported N03 areas (approximate areas if absent).")
    ] = DEFAULT_GEO_DIR,
) -> None:
    """Build the carrier's plaintext views and the airline's key pair, each in its own folder.

    Nothing is encrypted and nothing crosses between the parties here: the carrier hashes its
    keys once and keeps its payloads in plaintext in its own folder; the airline creates its
    Paillier key pair. Re-running rebuilds only months whose inputs changed, and first removes
    what a killed run left. Both party folders are locked for the whole run: a second prepare
    (or a release reading the views) is refused as busy, never interleaved.
    """
    area_map = load_area_map(geo_dir if geo_dir.exists() else None)
    if area_map.approximate:
        typer.echo(
            "areas: built-in approximate municipalities (import N03 for exact ones)", err=True
        )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    space = Workspace.open(workspace)
    with (
        space.airline.lock("prepare"),
        space.carrier.lock("prepare"),
        Progress(*columns, transient=True) as bar,
    ):
        fault_point("prepare.locked")
        task = bar.add_task("carrier views", total=None)

        def advance(_step: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with SecureSession(
            workspace, data, SessionSettings(key_bits=key_bits), area_map=area_map
        ) as session:
            summary = session.prepare(advance)
    typer.echo(
        f"prepare done: {summary.months_prepared} view month(s) built, "
        f"{summary.months_unchanged} unchanged, in {workspace}"
    )
