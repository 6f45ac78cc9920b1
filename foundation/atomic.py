"""Atomic, durable file writes.

Nothing Crossmesh has already stored may be lost or half-written: every file is written to a
temporary sibling, flushed to disk, then moved over the target with :func:`os.replace`, which is
atomic on POSIX file systems. A crash leaves either the old file or the new one, never a mixture.
Secret files (keys) are created with mode 0600 from the start, not chmod-ed afterwards, so there is
no moment at which another user could read them.

Keys are never replaced at all: :func:`create_exclusive` writes a temporary sibling (created with
``O_EXCL``, mode 0600), flushes it and then *links* it to its name, which fails if the name exists —
so a key file appears complete or not at all, and an existing one is never overwritten, even by
a second process racing for the same name.

Temporary siblings are named ``.<name>.<random>.tmp``; :func:`remove_leftovers` deletes those a
killed process left behind (call it while holding the folder's lock, :mod:`foundation.locks`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from foundation.faults import fault_point

__all__ = [
    "TMP_SUFFIX",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_writer",
    "create_exclusive",
    "remove_leftovers",
]

TMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def atomic_writer(path: Path, *, secret: bool = False) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` atomically when the block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o600 if secret else 0o644)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        fault_point("atomic.replace")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes, *, secret: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (mode 0600 when ``secret``)."""
    with atomic_writer(path, secret=secret) as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str, *, secret: bool = False) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (mode 0600 when ``secret``)."""
    atomic_write_bytes(path, text.encode("utf-8"), secret=secret)


def create_exclusive(path: Path, data: bytes, *, secret: bool = True) -> None:
    """Create ``path`` holding ``data``, whole or not at all; ``FileExistsError`` if it exists."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    tmp = Path(tmp_name)  # mkstemp opens with O_CREAT | O_EXCL and mode 0600
    try:
        if not secret:
            os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)  # atomic, and refuses an existing name (never a replace)
        _sync_folder(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_leftovers(folder: Path) -> list[Path]:
    """Delete the temporary siblings killed writers left directly in ``folder``; return them."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    gone = [p for p in folder.glob(f".*{TMP_SUFFIX}") if p.is_file()]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone
