"""Atomic, durable file writes.

Nothing Crossmesh has already stored may be lost or half-written: every file is written to a
temporary sibling, flushed to disk, then moved over the target with :func:`os.replace`, which is
atomic on POSIX file systems. A crash leaves either the old file or the new one, never a mixture.
Secret files (keys) are created with mode 0600 from the start, not chmod-ed afterwards, so there is
no moment at which another user could read them.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_writer"]


@contextlib.contextmanager
def atomic_writer(path: Path, *, secret: bool = False) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` atomically when the block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o600 if secret else 0o644)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
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
