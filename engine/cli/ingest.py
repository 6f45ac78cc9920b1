"""``crossmesh ingest``: both parties' offline steps over a data folder, into a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from engine.carrier import DEFAULT_BUCKETS
from engine.cli import app
from engine.parallel import SCHEDULER_ENV
from engine.protocol import SecureSession, SessionSettings
from geo.areas import DEFAULT_GEO_DIR, load_area_map


@app.command("ingest")
def ingest(
    data: Annotated[Path, typer.Option("--data", help="Folder with airline/ and carrier/ inputs.")],
    workspace: Annotated[
        Path, typer.Option("--workspace", help="Workspace folder (created if missing).")
    ] = Path("workspace"),
    workers: Annotated[int, typer.Option(help="Worker processes (0: one per core).")] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            envvar=SCHEDULER_ENV,
            help="Where partitions run: a Dask scheduler address (tcp://host:8786), 'local' "
            "(a cluster on this machine, the default), 'threads' or 'synchronous'.",
        ),
    ] = None,
    partitions: Annotated[
        int, typer.Option(help="Hash-bucket partitions per view family and period (1-256).")
    ] = DEFAULT_BUCKETS,
    key_bits: Annotated[int, typer.Option(help="Paillier modulus size: 2048 or 3072.")] = 2048,
    geo_dir: Annotated[
        Path, typer.Option(help="Imported N03 areas (approximate areas if absent).")
    ] = DEFAULT_GEO_DIR,
) -> None:
    """Encrypt the carrier's new periods and hand them to the airline (C1, A1).

    Re-running on the same folder adds partitions for new or changed periods only.
    """
    settings = SessionSettings(
        key_bits=key_bits, workers=workers or None, scheduler=scheduler, buckets=partitions
    )
    session = SecureSession(workspace, settings)
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
    with Progress(*columns, transient=True) as bar:
        tasks: dict[str, object] = {}

        def advance(family: str, step: int, total: int) -> None:
            if family not in tasks:
                tasks[family] = bar.add_task(f"encrypting {family}", total=None)
            bar.update(tasks[family], advance=step)  # type: ignore[arg-type]

        with session:
            summary = session.ingest(data, area_map, advance)
    typer.echo(
        f"ingest done: {summary.periods_encrypted} period(s) encrypted, "
        f"{summary.periods_unchanged} unchanged, {summary.partitions_written} partition(s) written "
        f"to {workspace}"
    )
