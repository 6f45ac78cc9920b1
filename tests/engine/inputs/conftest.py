"""What the strict CSV reader hands its parsers: the bound that keeps its work linear.

Instead of timing a read, a test can check *why* it is fast: every line the standard ``csv``
module parses one by one is at most :data:`~engine.inputs.policy.MAX_LINE_BYTES` long, and the
bulk of plain lines goes to ``pyarrow`` in one call. :func:`parser_inputs` records both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from engine.inputs import csv_lines


@dataclass
class ParserInputs:
    """The lengths (bytes of UTF-8) of what the reader gave each parser during a test."""

    line_by_line: list[int] = field(default_factory=list)  # csv.reader, one line each
    bulk: list[int] = field(default_factory=list)  # pyarrow's read_csv, one body each

    @property
    def longest_line(self) -> int:
        return max(self.line_by_line, default=0)


@pytest.fixture
def parser_inputs(monkeypatch: pytest.MonkeyPatch) -> Iterator[ParserInputs]:
    """Record every input of ``csv.reader`` and ``pyarrow.csv.read_csv`` in ``csv_lines``."""
    seen = ParserInputs()
    reader, read_csv = csv_lines.csv.reader, csv_lines.pa_csv.read_csv

    def recorded_reader(lines: Iterable[str], *args: Any, **kwargs: Any) -> Any:
        lines = list(lines)
        seen.line_by_line.extend(len(line.encode()) for line in lines)
        return reader(lines, *args, **kwargs)

    def recorded_read_csv(source: Any, *args: Any, **kwargs: Any) -> Any:
        seen.bulk.append(len(source.getbuffer()))
        return read_csv(source, *args, **kwargs)

    monkeypatch.setattr(csv_lines.csv, "reader", recorded_reader)
    monkeypatch.setattr(csv_lines.pa_csv, "read_csv", recorded_read_csv)
    yield seen
