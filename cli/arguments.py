"""Checks of command-line values that typer cannot express, made before any work starts.

Why up front: a bad ``--out`` discovered after a release has been charged to the privacy budget
wastes budget, and a bad date discovered deep inside a query surfaces as a traceback. Each check
here is a typer callback: a bad value raises :class:`typer.BadParameter`, which typer shows as a
usage error naming the option, with exit status 2.

Map: :func:`iso_date`, :func:`existing_folder`, :func:`optional_existing_folder`,
:func:`writable_file`, :func:`optional_writable_file`, :func:`release_file`,
:func:`writable_folder`.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import typer

__all__ = [
    "RELEASE_SUFFIXES",
    "existing_folder",
    "iso_date",
    "optional_existing_folder",
    "optional_writable_file",
    "release_file",
    "writable_file",
    "writable_folder",
]

RELEASE_SUFFIXES = (".csv", ".parquet", ".geojson")


def iso_date(value: str) -> str:
    """Accept ``YYYY-MM-DD`` (e.g. ``2025-08-01``); anything else is a usage error."""
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("must be a date written YYYY-MM-DD, e.g. 2025-08-01") from None
    if len(value) != len("2025-08-01"):
        raise typer.BadParameter("must be a date written YYYY-MM-DD, e.g. 2025-08-01")
    return value


def existing_folder(value: Path) -> Path:
    """Accept a folder that exists."""
    if not value.is_dir():
        raise typer.BadParameter(f"{value} is not an existing folder")
    return value


def optional_existing_folder(value: Path | None) -> Path | None:
    """:func:`existing_folder` for an option that may be left out."""
    return None if value is None else existing_folder(value)


def writable_file(value: Path) -> Path:
    """Accept a file path whose folder exists (or can be made) and can be written to."""
    if value.is_dir():
        raise typer.BadParameter(f"{value} is a folder; give a file name")
    _check_writable(value.parent)
    return value


def release_file(value: Path | None) -> Path | None:
    """Accept a writable ``.csv``, ``.parquet`` or ``.geojson`` path for a release (or none)."""
    if value is None:
        return None
    if value.suffix.lower() not in RELEASE_SUFFIXES:
        raise typer.BadParameter(f"must end in {', '.join(RELEASE_SUFFIXES)}, not {value.name!r}")
    return writable_file(value)


def writable_folder(value: Path | None) -> Path | None:
    """Accept a folder that exists or can be made, inside which files can be written."""
    if value is None:
        return None
    if value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{value} is a file; give a folder")
    _check_writable(value)
    return value


def _check_writable(folder: Path) -> None:
    """Probe the nearest existing ancestor of ``folder`` with a temporary file."""
    folder = folder if str(folder) else Path(".")
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise typer.BadParameter(f"{folder} is not a folder; give a path inside a folder")
    try:
        handle, probe = tempfile.mkstemp(prefix=".crossmesh-probe-", dir=folder)
    except OSError as err:
        reason = err.strerror or "not writable"
        raise typer.BadParameter(
            f"cannot write in {folder} ({reason}); choose another path"
        ) from None
    os.close(handle)
    os.unlink(probe)


def optional_writable_file(value: Path | None) -> Path | None:
    """:func:`writable_file` for an option that may be left out."""
    return None if value is None else writable_file(value)
