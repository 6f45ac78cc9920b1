"""``crossmesh prepare``: both parties' offline steps over a data folder, into a workspace.

Both parties' inputs are validated before anything is built: the airline's first (its queries
read them only later, so without this pass a members.csv of random bytes would pass prepare and
fail at the first release), then the carrier's as the session loads them for its views. A file
the input policy refuses stops the command with exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from cli import app
from cli.arguments import existing_folder, writable_folder
from engine.inputs import load_airline
from engine.session import SecureSession, SessionSettings
from engine.workspace import Workspace
from foundation.faults import fault_point
from geo.areas import DEFAULT_GEO_DIR, load_area_map

KEY_SIZES = (2048, 3072)


def _key_size(value: int) -> int:
    if value not in KEY_SIZES:
        raise typer.BadParameter(f"must be 2048 or 3072 (bits), not {value}")
    return value


def validate_airline(data: Path) -> None:
    """Load and check the airline's inputs under the input policy; raise InputError if unusable.

    The carrier's inputs need no separate pass: the session loads them under the same policy
    to build its views, and refuses them in the same way.
    """
    load_airline(data)


@app.command("prepare")
def prepare(
    data: Annotated[
        Path,
        typer.Option(
            "--data", help="Folder with airline/ and carrier/ inputs.", callback=existing_folder
        ),
    ],
    workspace: Annotated[
        Path,
        typer.Option(
            "--workspace", help="Workspace folder (created if missing).", callback=writable_folder
        ),
    ] = Path("workspace"),
    key_bits: Annotated[
        int, typer.Option(help="Paillier modulus size: 2048 or 3072.", callback=_key_size)
    ] = 2048,
    geo_dir: Annotated[
        Path, typer.Option(help="Imported N03 areas (approximate areas if absent).")
    ] = DEFAULT_GEO_DIR,
) -> None:
    """Build the carrier's plaintext views and the airline's key pair, each in its own folder.

    Nothing is encrypted and nothing crosses between the parties here: the carrier hashes its
    keys once and keeps its payloads in plaintext in its own folder; the airline creates its
    Paillier key pair. Re-running rebuilds only months whose inputs changed, and first removes
    what a killed run left. Both parties' inputs are validated first. Both party folders are
    locked for the whole run: a second prepare (or a release reading the views) is refused as
    busy, never interleaved.
    """
    validate_airline(data)
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
        TimeRemainingColumn(),  # the estimate of the time left, from the months done so far
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
