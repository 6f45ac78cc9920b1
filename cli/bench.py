"""``crossmesh bench``: run the benchmarks of a source checkout and print one JSON object.

The benchmarks live in the repository's ``bench/`` folder, beside the package, not inside it:
they generate data, start clusters and time things, which an installed product has no use for.
This command finds that folder next to the installed (editable) package and runs
``python -m bench`` there, in a process of its own so that its worker processes start cleanly.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli import app
from cli.arguments import optional_existing_folder
from foundation.errors import ConfigError

__all__ = ["bench_command", "checkout_root"]


def checkout_root() -> Path:
    """The source checkout holding ``bench/``, or :class:`ConfigError` for an installed copy."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "bench" / "__main__.py").is_file():
        raise ConfigError(
            "the benchmarks ship with the source tree, not the installed package; run "
            "'crossmesh bench' from an editable install of a checkout (pip install -e .)"
        )
    return root


@app.command("bench")
def bench_command(
    quick: Annotated[bool, typer.Option("--quick", help="The tiny world: about a minute.")] = False,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="An existing data folder (default: generated).",
            callback=optional_existing_folder,
        ),
    ] = None,
) -> None:
    """Measure the first run, v2 release latency and cost per record, utility; print JSON."""
    command = [sys.executable, "-m", "bench"]
    if quick:
        command.append("--quick")
    if data is not None:
        command += ["--data", str(data.resolve())]
    finished = subprocess.run(command, cwd=checkout_root(), check=False)
    if finished.returncode:
        raise typer.Exit(finished.returncode)
