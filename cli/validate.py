"""``crossmesh validate DIR``: check a party's input files and say what would be rejected.

DIR is either the parent folder holding ``airline/`` and/or ``carrier/``, or one party's folder
itself (recognised by its ``members`` or ``subscribers`` file). Per file the command prints the
rows read, kept, collapsed as duplicates and rejected, the warnings, and the first ``--show``
rejections; ``--report FILE.csv`` writes every warning and rejection. Nothing in the output quotes
a value from the files, only where the problem is and why.

Exit status: 0 when every file can be used, even with a few rejected rows (they are reported); 2
when a file-level problem (an unreadable file, a missing table or required column) stops a party's
load, or when a file is refused by the input policy (:class:`~engine.inputs.InputPolicy`: no usable
rows, or more rejected rows than its allowance) — the same files ``prepare`` and ``release``
would refuse. Every file's report is printed before the verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from cli import app
from cli.arguments import optional_writable_file
from engine.inputs import (
    DEFAULT_POLICY,
    MEMBERS,
    SUBSCRIBERS,
    TableSchema,
    ValidationReport,
    load_airline,
    load_carrier,
)
from engine.inputs.report import REPORT_COLUMNS
from foundation.atomic import atomic_write_text
from foundation.errors import InputError

__all__ = ["validate_command"]

FILE_LEVEL_EXIT = 2
Loader = Callable[[Path], tuple[ValidationReport, ...]]
_LOADERS: dict[str, tuple[TableSchema, Loader]] = {
    "airline": (MEMBERS, lambda folder: load_airline(folder, policy=None).reports),
    "carrier": (SUBSCRIBERS, lambda folder: load_carrier(folder, policy=None).reports),
}


@app.command("validate")
def validate_command(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="Folder with airline/ and/or carrier/, or one party's folder."
        ),
    ],
    show: Annotated[
        int, typer.Option("--show", min=0, help="How many rejections to print per file.")
    ] = 20,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="FILE.csv",
            help="Write every warning and rejection.",
            callback=optional_writable_file,
        ),
    ] = None,
) -> None:
    """Validate the input files in DIR; print what was kept and what was rejected, and why."""
    try:
        parties = party_folders(folder)
    except InputError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(FILE_LEVEL_EXIT) from None
    reports, failed = _validate_parties(parties, show)
    if report is not None:
        _write_report(report, reports)
    if failed:
        raise typer.Exit(FILE_LEVEL_EXIT)


def party_folders(folder: Path) -> dict[str, Path]:
    """Map each party found in ``folder`` to its input folder; raise if there is none."""
    if not folder.is_dir():
        raise InputError(f"the folder {folder} does not exist; give the inputs folder")
    found = {party: folder / party for party in _LOADERS if (folder / party).is_dir()}
    if not found:
        found = {
            party: folder
            for party, (anchor, _) in _LOADERS.items()
            if any((folder / name).is_file() for name in anchor.file_names())
        }
    if not found:
        raise InputError(
            f"{folder} holds neither airline/ nor carrier/ nor a members or subscribers file; "
            "see docs/data-formats.md for the expected layout"
        )
    return found


def _validate_parties(parties: dict[str, Path], show: int) -> tuple[list[ValidationReport], bool]:
    """Load each party, printing its reports; file-level errors are printed and remembered."""
    reports: list[ValidationReport] = []
    failed = False
    for party, party_folder in parties.items():
        typer.echo(f"{party} ({party_folder})")
        try:
            loaded = _LOADERS[party][1](party_folder)
        except InputError as err:
            typer.echo(f"error: {err}", err=True)
            failed = True
            continue
        for party_report in loaded:
            _print_report(party_report, show)
        reports += loaded
        failed = _refused(loaded) or failed
    return reports, failed


def _refused(reports: tuple[ValidationReport, ...]) -> bool:
    """Print why the input policy refuses any of ``reports``; True if it refuses one."""
    refused = False
    for party_report in reports:
        try:
            DEFAULT_POLICY.enforce(party_report)
        except InputError as err:
            typer.echo(f"error: {err}", err=True)
            refused = True
    return refused


def _print_report(report: ValidationReport, show: int) -> None:
    """Counts, warnings, then at most ``show`` rejections of one file."""
    typer.echo(f"  {report.summary()}")
    for warning in report.warnings:
        typer.echo(f"    warning: {warning.message()}")
    for rejection in report.rejections[:show]:
        typer.echo(f"    {rejection.message()}")
    hidden = len(report.rejections) - show
    if hidden > 0:
        typer.echo(f"    … {hidden} more; use --show or --report FILE.csv to see them all")


def _write_report(path: Path, reports: list[ValidationReport]) -> None:
    """Write every warning and rejection of every file as one CSV, atomically."""
    frames = [report.to_frame() for report in reports if not report.ok]
    table = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(REPORT_COLUMNS))
    )
    atomic_write_text(path, table.to_csv(index=False))
    typer.echo(f"report written to {path}")
