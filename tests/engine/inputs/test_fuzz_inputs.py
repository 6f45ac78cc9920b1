"""Fuzzing the input loaders: mutated copies of the tiny world never lie about what they read.

Each case copies one party's generated folder, damages one file (the tester's findings among the
mutations) and loads the party. The outcome must be either a clear :class:`InputError` naming the
damaged file, or reports in which every data line written is accounted for (kept + duplicates +
rejected + blank = read = the lines after the header, or the Parquet records), within a time and
memory bound. A sample also goes through ``crossmesh validate`` to check exit code and output.
"""

from __future__ import annotations

import random
import resource
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from cli import main
from engine.inputs import ValidationReport, load_airline, load_carrier
from engine.inputs.policy import MAX_LINE_BYTES
from foundation.errors import InputError
from tests.engine.inputs.conftest import ParserInputs

PEAK_RSS_BYTES = 3 * 1024**3
Mutate = Callable[[Path], object]


@dataclass(frozen=True)
class Case:
    """One mutation of one file: ``expect`` is 'error', 'ok' or 'either'."""

    name: str
    party: str
    file: str
    mutate: Mutate
    expect: str = "either"


# --- mutations on lines of a CSV file ------------------------------------------------------------


def lines_of(path: Path) -> list[bytes]:
    """The file's lines without line ends (header first)."""
    return path.read_bytes().splitlines()


def on_lines(change: Callable[[list[bytes]], list[bytes]]) -> Mutate:
    """A mutation that rewrites the file's lines (LF line ends)."""

    def mutate(path: Path) -> None:
        path.write_bytes(b"\n".join(change(lines_of(path))) + b"\n")

    return mutate


def on_column(column: str, value: bytes, *, every: int = 1) -> Mutate:
    """Replace ``column`` in every ``every``-th data row with ``value``."""

    def change(lines: list[bytes]) -> list[bytes]:
        position = lines[0].split(b",").index(column.encode())
        out = [lines[0]]
        for number, line in enumerate(lines[1:]):
            values = line.split(b",")
            if number % every == 0 and len(values) > position:
                values[position] = value
            out.append(b",".join(values))
        return out

    return on_lines(change)


def insert(at: int, *new: bytes) -> Mutate:
    """Insert ``new`` lines before data line ``at``."""
    return on_lines(lambda lines: [*lines[: at + 1], *new, *lines[at + 1 :]])


def replace_bytes(data: bytes) -> Mutate:
    """Replace the whole file with ``data``."""
    return lambda path: path.write_bytes(data)


def reencode(encoding: str, extra: str = "") -> Mutate:
    """Append ``extra`` to the last row's last value and save in ``encoding``."""

    def mutate(path: Path) -> None:
        text = path.read_text(encoding="utf-8").rstrip("\n") + extra + "\n"
        path.write_bytes(text.encode(encoding))

    return mutate


def swap_columns(path: Path) -> None:
    """Move the first column to the end, in header and rows alike."""
    rows = [line.split(b",") for line in lines_of(path)]
    path.write_bytes(b"\n".join(b",".join([*row[1:], row[0]]) for row in rows) + b"\n")


def drop_column(column: str) -> Mutate:
    """Remove ``column`` from header and rows."""

    def mutate(path: Path) -> None:
        rows = [line.split(b",") for line in lines_of(path)]
        position = rows[0].index(column.encode())
        path.write_bytes(b"\n".join(b",".join(r[:position] + r[position + 1 :]) for r in rows))

    return mutate


def quote_all(path: Path) -> None:
    """Quote every value of every row (valid CSV)."""
    rows = [line.split(b",") for line in lines_of(path)]
    path.write_bytes(b"\n".join(b",".join(b'"%s"' % v for v in row) for row in rows) + b"\n")


def delete(path: Path) -> None:
    """Remove the file."""
    path.unlink()


# --- mutations on the observations Parquet file --------------------------------------------------


def on_table(change: Callable[[pa.Table], pa.Table]) -> Mutate:
    """Rewrite the Parquet file through ``change``."""

    def mutate(path: Path) -> None:
        pq.write_table(change(pq.read_table(path)), path)

    return mutate


def set_column(name: str, values: Callable[[pa.Table], pa.Array]) -> Mutate:
    """Replace (or add) column ``name`` with ``values(table)``."""

    def change(table: pa.Table) -> pa.Table:
        array = values(table)
        if name in table.column_names:
            return table.set_column(table.column_names.index(name), name, array)
        return table.append_column(name, array)

    return on_table(change)


def stamps_at_row(row: int, year: int) -> Callable[[pa.Table], pa.Array]:
    """observed_at with record ``row`` moved to ``year`` (microseconds, past ns range)."""

    def values(table: pa.Table) -> pa.Array:
        stamps = table.column("observed_at").cast(pa.timestamp("us")).to_pylist()
        stamps[row] = stamps[row].replace(year=year)
        return pa.array(stamps, pa.timestamp("us"))

    return values


def truncate(path: Path) -> None:
    """Keep only the first half of the file's bytes."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


NOISE = random.Random(14).randbytes(60_000)
GOOD_BOARDING = b"JL101400487,JL0503,HND,CTS,2025-08-07T07:40:00,2025-08-07T09:15:00"
MEMBERS, BOARDINGS, DONATIONS = "members.csv", "boardings.csv", "donations.csv"
SUBSCRIBERS, OBSERVATIONS = "subscribers.csv", "observations.parquet"

CASES = [
    # the tester's findings
    Case("unbalanced quote in row 101", "airline", MEMBERS, on_column("phone", b'"090', every=99)),
    Case("one unbalanced quote mid-file", "airline", MEMBERS, insert(99, b'JLX,"090-1,30-39,F,13')),
    Case("comma-only rows", "airline", MEMBERS, insert(50, b",,,,", b",,,,", b",,"), "ok"),
    Case("30 MB single line", "airline", MEMBERS, replace_bytes(b"a," * 15_000_000), "error"),
    Case("30 MB data line", "airline", BOARDINGS, insert(3, b"9" * 30_000_000), "ok"),
    Case("epoch departures", "airline", BOARDINGS, on_column("departure", b"1754008200"), "error"),
    Case("boolean phones", "airline", MEMBERS, on_column("phone", b"true"), "error"),
    Case("boolean opt-out ok", "carrier", SUBSCRIBERS, on_column("opt_out", b"TRUE"), "ok"),
    Case("opt-out words", "carrier", SUBSCRIBERS, on_column("opt_out", b"maybe"), "error"),
    Case("header only members", "airline", MEMBERS, on_lines(lambda ls: ls[:1]), "error"),
    Case("header only subscribers", "carrier", SUBSCRIBERS, on_lines(lambda ls: ls[:1]), "error"),
    Case("header only donations", "airline", DONATIONS, on_lines(lambda ls: ls[:1]), "error"),
    Case("random bytes members", "airline", MEMBERS, replace_bytes(NOISE), "error"),
    Case("random bytes observations", "carrier", OBSERVATIONS, replace_bytes(NOISE), "error"),
    Case("empty file", "airline", BOARDINGS, replace_bytes(b""), "error"),
    # encodings and bytes
    Case(
        "UTF-8 BOM",
        "airline",
        MEMBERS,
        lambda p: p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes()),
        "ok",
    ),
    Case("CP932", "airline", MEMBERS, reencode("cp932", "東京"), "error"),
    Case("UTF-16", "carrier", SUBSCRIBERS, reencode("utf-16"), "error"),
    Case("NUL bytes in a row", "airline", MEMBERS, insert(7, b"JLZ,090\x00,30-39,F,13"), "ok"),
    Case(
        "CRLF",
        "carrier",
        SUBSCRIBERS,
        lambda p: p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n")),
        "ok",
    ),
    Case(
        "CR only (old Mac)",
        "carrier",
        SUBSCRIBERS,
        lambda p: p.write_bytes(p.read_bytes().replace(b"\n", b"\r")),
        "error",
    ),
    Case(
        "trailing blank lines",
        "airline",
        DONATIONS,
        lambda p: p.write_bytes(p.read_bytes() + b"\n\n \n"),
        "ok",
    ),
    Case(
        "no final newline",
        "airline",
        DONATIONS,
        lambda p: p.write_bytes(p.read_bytes().rstrip(b"\n")),
        "ok",
    ),
    # structure
    Case(
        "duplicate header",
        "airline",
        MEMBERS,
        on_lines(lambda ls: [ls[0] + b",PHONE", *ls[1:]]),
        "error",
    ),
    Case("missing required column", "airline", BOARDINGS, drop_column("arrival"), "error"),
    Case("missing optional column", "airline", MEMBERS, drop_column("gender"), "ok"),
    Case(
        "extra column",
        "airline",
        MEMBERS,
        on_lines(lambda ls: [ls[0] + b",x"] + [line + b",1" for line in ls[1:]]),
        "ok",
    ),
    Case("reordered columns", "carrier", SUBSCRIBERS, swap_columns, "ok"),
    Case(
        "upper-case header",
        "airline",
        BOARDINGS,
        on_lines(lambda ls: [ls[0].upper(), *ls[1:]]),
        "ok",
    ),
    Case(
        "tab separated",
        "airline",
        BOARDINGS,
        lambda p: p.write_bytes(p.read_bytes().replace(b",", b"\t")),
        "error",
    ),
    Case(
        "semicolon separated",
        "carrier",
        SUBSCRIBERS,
        lambda p: p.write_bytes(p.read_bytes().replace(b",", b";")),
        "error",
    ),
    Case("every value quoted", "airline", BOARDINGS, quote_all, "ok"),
    Case(
        "ragged rows extra value",
        "airline",
        BOARDINGS,
        insert(5, GOOD_BOARDING + b",x", GOOD_BOARDING + b",y,z"),
        "ok",
    ),
    Case(
        "ragged rows missing value",
        "airline",
        BOARDINGS,
        insert(9, b"JL101400487,JL0503,HND"),
        "ok",
    ),
    Case(
        "all rows ragged",
        "airline",
        DONATIONS,
        on_lines(lambda ls: [ls[0]] + [line + b",1" for line in ls[1:]]),
        "error",
    ),
    Case(
        "huge field", "airline", MEMBERS, insert(4, b"JLH," + b"0" * 5_000 + b",30-39,F,13"), "ok"
    ),
    Case(
        "quote inside a value",
        "airline",
        MEMBERS,
        insert(4, b'JL"Q",090-1111-2222,30-39,F,13'),
        "ok",
    ),
    Case(
        "text after closing quote",
        "airline",
        MEMBERS,
        insert(4, b'"JLQ"x,090-1111-2222,30-39,F,13'),
        "ok",
    ),
    Case(
        "every row twice",
        "carrier",
        SUBSCRIBERS,
        on_lines(lambda ls: [ls[0], *ls[1:], *ls[1:]]),
        "ok",
    ),
    Case("a few bad dates", "airline", BOARDINGS, on_column("arrival", b"noon", every=200), "ok"),
    Case("5% bad dates", "airline", BOARDINGS, on_column("arrival", b"noon", every=20), "error"),
    Case("all member IDs empty", "airline", MEMBERS, on_column("member_id", b""), "error"),
    Case("required table deleted", "carrier", SUBSCRIBERS, delete, "error"),
    Case("optional table deleted", "airline", DONATIONS, delete, "ok"),
    # Parquet
    Case("empty parquet", "carrier", OBSERVATIONS, on_table(lambda t: t.slice(0, 0)), "error"),
    Case(
        "timestamp past 2262",
        "carrier",
        OBSERVATIONS,
        set_column("observed_at", stamps_at_row(3, 3000)),
        "ok",
    ),
    Case(
        "timestamp before 1900",
        "carrier",
        OBSERVATIONS,
        set_column("observed_at", stamps_at_row(5, 1800)),
        "ok",
    ),
    Case(
        "epoch text timestamps",
        "carrier",
        OBSERVATIONS,
        set_column(
            "observed_at",
            lambda t: pc.cast(pc.cast(t.column("observed_at"), pa.int64()), pa.string()),
        ),
        "error",
    ),
    Case(
        "binary latitude",
        "carrier",
        OBSERVATIONS,
        set_column("lat", lambda t: pc.cast(pc.cast(t.column("lat"), pa.string()), pa.binary())),
        "error",
    ),
    Case(
        "null latitudes",
        "carrier",
        OBSERVATIONS,
        set_column("lat", lambda t: pa.nulls(len(t), pa.float64())),
        "error",
    ),
    Case(
        "parquet missing column",
        "carrier",
        OBSERVATIONS,
        on_table(lambda t: t.drop_columns(["lon"])),
        "error",
    ),
    Case(
        "parquet extra column",
        "carrier",
        OBSERVATIONS,
        set_column("note", lambda t: pa.array(["x"] * len(t))),
        "ok",
    ),
    Case(
        "dictionary IDs",
        "carrier",
        OBSERVATIONS,
        set_column(
            "subscriber_id",
            lambda t: t.column("subscriber_id").combine_chunks().dictionary_encode(),
        ),
        "ok",
    ),
    Case("truncated parquet", "carrier", OBSERVATIONS, truncate, "error"),
    Case(
        "csv beside parquet",
        "carrier",
        OBSERVATIONS,
        lambda p: p.with_suffix(".csv").write_text("a\n1\n"),
        "error",
    ),
]


def data_lines(path: Path) -> int:
    """The data rows the mutated file holds: lines after the header, or Parquet records."""
    if path.suffix == ".parquet":
        return pq.read_metadata(path).num_rows
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    lines = data.split(b"\n")
    return len(lines) - 1 - data.endswith(b"\n")


def load(folder: Path, party: str) -> tuple[ValidationReport, ...]:
    """Load the party's folder under the default policy; return its reports."""
    return (load_airline(folder) if party == "airline" else load_carrier(folder)).reports


@pytest.fixture(scope="module")
def peak_rss() -> int:
    """The process's peak resident memory before the cases, in bytes (Linux: KiB × 1024)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_mutated_input_is_refused_clearly_or_fully_accounted(
    case: Case, tiny_dir: Path, tmp_path: Path, peak_rss: int, parser_inputs: ParserInputs
) -> None:
    """A clear error naming the file, or every written row accounted for; bounded work (no line
    over the bound parsed one by one) and bounded memory."""
    folder = tmp_path / case.party
    shutil.copytree(tiny_dir / case.party, folder)
    path = folder / case.file
    case.mutate(path)
    try:
        reports = load(folder, case.party)
    except InputError as err:
        assert case.expect in ("error", "either"), f"{case.name}: unexpected error {err}"
        assert err.file is not None or folder.name in str(err), str(err)
        assert case.file in str(err) or Path(case.file).stem in str(err), str(err)
    else:
        assert case.expect in ("ok", "either"), f"{case.name}: loaded but should be refused"
        for report in reports:
            counted = report.rows_kept + report.duplicates + report.rows_rejected
            assert counted + report.blank_rows == report.rows_read
        mutated = [report for report in reports if report.file == case.file]
        if path.exists():
            assert mutated[0].rows_read == data_lines(path), case.name
    assert parser_inputs.longest_line <= MAX_LINE_BYTES, case.name
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < max(PEAK_RSS_BYTES, peak_rss)


CLI_SAMPLE = [
    "unbalanced quote in row 101",
    "30 MB single line",
    "epoch departures",
    "CP932",
    "timestamp past 2262",
    "empty parquet",
    "comma-only rows",
]


@pytest.mark.parametrize("name", CLI_SAMPLE)
def test_mutated_input_through_validate_shows_no_traceback(
    name: str, tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``crossmesh validate`` on a sample: exit 0 or 2 as the loader decides, never a trace."""
    case = next(case for case in CASES if case.name == name)
    folder = tmp_path / "data" / case.party
    shutil.copytree(tiny_dir / case.party, folder)
    case.mutate(folder / case.file)
    with pytest.raises(SystemExit) as done:
        main(["validate", str(folder.parent)])
    output = capsys.readouterr()
    assert done.value.code == (2 if case.expect == "error" else 0), output
    assert "Traceback" not in output.out + output.err
    assert "3000" not in output.out + output.err
