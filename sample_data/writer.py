"""Writing the world to disk, byte for byte the same for the same seed.

Every file is written atomically (``foundation.atomic``): a crash leaves the old file or the new
one.
CSV is UTF-8 with a header and ``\\n`` line ends, all values pre-formatted as text (so no float or
date formatting is left to chance). Parquet is written by pyarrow with fixed settings — zstd
compression, fixed row-group size, no pandas metadata — and pyarrow stores no timestamps, so the
bytes depend only on the rows. The manifest lists scale, seed, window and row counts, with sorted
keys and no time of generation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from foundation.atomic import atomic_write_text, atomic_writer

__all__ = ["csv_text", "observation_writer", "write_csv", "write_manifest"]

_ROW_GROUP_ROWS = 1_000_000


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV text of a frame: header, ``\\n`` line ends, missing values as empty fields."""
    return str(frame.to_csv(index=False, lineterminator="\n", na_rep=""))


def write_csv(path: Path, frame: pd.DataFrame) -> int:
    """Write ``frame`` to ``path`` as CSV atomically; return its number of rows."""
    atomic_write_text(path, csv_text(frame))
    return len(frame)


class _ObservationSink:
    """Appends tables to one Parquet file and counts their rows."""

    def __init__(self, writer: pq.ParquetWriter) -> None:
        self._writer = writer
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        """Append ``table`` (same schema as the file)."""
        self._writer.write_table(table, row_group_size=_ROW_GROUP_ROWS)
        self.rows += table.num_rows


@contextmanager
def observation_writer(path: Path, schema: pa.Schema) -> Iterator[_ObservationSink]:
    """A Parquet file written chunk by chunk, replacing ``path`` atomically at the end."""
    with atomic_writer(path) as handle:
        writer = pq.ParquetWriter(
            handle,
            schema,
            compression="zstd",
            compression_level=3,
            version="2.6",
            use_dictionary=["subscriber_id"],
            write_statistics=True,
        )
        try:
            yield _ObservationSink(writer)
        finally:
            writer.close()


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest as indented JSON with sorted keys."""
    atomic_write_text(
        path, json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
