"""``crossmesh generate``: write the deterministic synthetic world (both parties' data and truth).

``--scale tiny|demo|large`` picks the size (``sample_data.scales``), ``--seed`` the world, ``--out``
the folder (default ``data/<scale>``). Progress goes to stderr; the closing summary (rows per file
and the carrier's person-days with observations) to stdout. Same scale and seed, same bytes.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli import app
from cli.arguments import writable_folder
from sample_data import generate

__all__ = ["ScaleName", "generate_command"]


class ScaleName(StrEnum):
    """The sizes ``crossmesh generate`` knows (see ``sample_data/scales.py``)."""

    tiny = "tiny"
    demo = "demo"
    large = "large"


@app.command("generate")
def generate_command(
    scale: Annotated[
        ScaleName,
        typer.Option("--scale", help="World size: tiny (tests), demo, large (benchmarks)."),
    ] = ScaleName.demo,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the world.")] = 7,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output folder (default data/<scale>).", callback=writable_folder
        ),
    ] = None,
) -> None:
    """Generate the synthetic airline and carrier data, the truth tables and a manifest."""
    folder = out if out is not None else Path("data") / scale.value
    started = time.monotonic()

    def progress(message: str) -> None:
        typer.echo(f"[{time.monotonic() - started:6.1f}s] {message}", err=True)

    summary = generate(scale.value, seed, folder, progress=progress)
    typer.echo(f"wrote the {summary.scale} world (seed {summary.seed}) to {summary.out}")
    width = max(len(name) for name in summary.rows)
    for name, rows in sorted(summary.rows.items()):
        typer.echo(f"  {name:<{width}}  {rows:>10,} rows")
    typer.echo(f"  carrier person-days with observations: {summary.person_days:,}")
