"""Tests for engine.inputs.csv_lines: strict CSV, one physical line per row, bounded work."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.inputs.csv_lines import CsvRows, read_csv_rows
from engine.inputs.policy import MAX_LINE_BYTES
from foundation.errors import InputError
from tests.engine.inputs.conftest import ParserInputs

HEADER = b"member_id,phone\n"


def read(tmp_path: Path, data: bytes) -> CsvRows:
    """Write ``data`` as members.csv and read it strictly."""
    path = tmp_path / "members.csv"
    path.write_bytes(data)
    return read_csv_rows(path)


def test_unterminated_quote_rejects_only_its_row(tmp_path: Path) -> None:
    """An open quote in row 3 rejects row 3; rows 4 and 5 are still read."""
    rows = read(tmp_path, HEADER + b'M1,0901\nM2,"0902\nM3,0903\nM4,0904\n')
    assert list(rows.frame.index) == [2, 4, 5]
    assert [(r.row, r.field) for r in rows.malformed] == [(3, None)]
    assert "never closed" in rows.malformed[0].reason


def test_quoted_values_are_read_and_keep_their_place(tmp_path: Path) -> None:
    """A line with balanced quotes is parsed by the csv module, in row order."""
    rows = read(tmp_path, HEADER + b'M1,0901\n"M2","09,02"\nM3,0903\n')
    assert rows.frame.loc[3, "phone"] == "09,02"
    assert list(rows.frame.index) == [2, 3, 4] and not rows.malformed


def test_blank_and_all_comma_rows_are_counted_blank(tmp_path: Path) -> None:
    """Empty lines, ',,' rows and all-empty quoted rows are blank, not vanished."""
    rows = read(tmp_path, HEADER + b'M1,0901\n\n,\n,,,,\n"",""\nM2,0902\n')
    assert rows.blank_rows == (3, 4, 5, 6)
    assert list(rows.frame.index) == [2, 7]


def test_ragged_rows_name_their_value_count(tmp_path: Path) -> None:
    """Too many or too few values reject the row and say how many there were."""
    rows = read(tmp_path, HEADER + b"M1,0901,x\nM2\nM3,0903\n")
    assert [r.row for r in rows.malformed] == [2, 3]
    assert "has 3 values" in rows.malformed[0].reason


def test_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    """A BOM and CRLF line ends read like plain UTF-8 with LF."""
    rows = read(tmp_path, b"\xef\xbb\xbf" + HEADER.replace(b"\n", b"\r\n") + b"M1,0901\r\n")
    assert rows.names == ("member_id", "phone")
    assert rows.frame.loc[2, "phone"] == "0901"


def test_nul_and_stray_cr_reject_the_row(tmp_path: Path) -> None:
    """Binary bytes inside a row reject that row only."""
    rows = read(tmp_path, HEADER + b"M1,09\x0001\nM2,09\r02\nM3,0903\n")
    assert [r.row for r in rows.malformed] == [2, 3]
    assert list(rows.frame.index) == [4]


def test_over_long_row_is_rejected_unparsed(tmp_path: Path, parser_inputs: ParserInputs) -> None:
    """A 30 MB data line is rejected as too long without any parser seeing it."""
    rows = read(tmp_path, HEADER + b"M1," + b"9" * 30_000_000 + b"\nM2,0902\n")
    assert [r.row for r in rows.malformed] == [2]
    assert f"{MAX_LINE_BYTES:,}" in rows.malformed[0].reason
    assert list(rows.frame.index) == [3]
    assert parser_inputs.longest_line <= MAX_LINE_BYTES
    assert max(parser_inputs.bulk) < 1_000, "the long line went to pyarrow"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b",," * 15_000_000, "first line is 30,000,000 bytes"),
        (b",".join([b"c%d" % i for i in range(5000)]) + b"\n", "5,000 columns"),
        ("member_id,phone\nM1,東京\n".encode("cp932"), "Shift_JIS"),
        ("member_id,phone\n".encode("utf-16"), "UTF-16"),
        (b"member_id,phone,MEMBER_ID\n", "more than once"),
        (b'member_id,"phone\n', "not valid CSV"),
        (b"\n\n", "is empty"),
    ],
)
def test_unusable_files_raise_with_the_file_named(
    tmp_path: Path, parser_inputs: ParserInputs, data: bytes, match: str
) -> None:
    """File-level problems raise one InputError naming the file, before any bulk parsing and
    without handing the csv module a line over the bound."""
    with pytest.raises(InputError, match=match) as caught:
        read(tmp_path, data)
    assert caught.value.file == "members.csv"
    assert parser_inputs.longest_line <= MAX_LINE_BYTES
    assert parser_inputs.bulk == []


def test_cp932_error_names_the_first_bad_row(tmp_path: Path) -> None:
    """The encoding error says in which row the first undecodable byte is."""
    with pytest.raises(InputError) as caught:
        read(tmp_path, HEADER + b"M1,0901\n" + "M2,東京\n".encode("cp932"))
    assert caught.value.row == 3
