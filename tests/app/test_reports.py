"""The localised CSV report: UTF-8 with BOM for Excel, a metadata block, headers in words."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from app.i18n import text
from app.reports import excel_text, report_csv, report_frame, report_metadata
from engine.dp import PrivacyCost, Release

CREDIT = "国土数値情報（行政区域データ）（国土交通省）を加工して作成"


def _release() -> Release:
    cost = PrivacyCost.from_epsilon(1.0)
    return Release(
        values=(120, None, 35),
        suppressed=(False, True, False),
        ci95=(14, None, 9),
        row_labels=(("donor", "01206"), ("donor", "30401"), ("comparison", "01206")),
        label_names=("cohort", "municipality_code"),
        mechanism=cost.mechanism,
        epsilon=cost.epsilon,
        delta=cost.delta,
        rho=cost.rho,
        threshold=10,
        query_spec={"kind": "flows", "airport": "SHM", "start": "2025-08-01", "end": "2025-08-14"},
        noise_scale=5.0,
        draws=(2, 2, 2),
        created_at="2025-09-01T03:30:00+00:00",
    )


def _tr(lang: str) -> Any:
    return lambda key, **values: text(key, lang, **values)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_starts_with_a_bom_and_uses_crlf() -> None:
    """Excel recognises UTF-8 by its byte-order mark; rows end in CRLF."""
    data = report_csv(_release(), _tr("ja"), "ja", CREDIT)
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data and b"\n\n" not in data


def test_metadata_block_says_how_the_values_were_made() -> None:
    """Period, ε, δ, mechanism, rule, notes, release id, JST time and credit, before the table."""
    rows = _rows(report_csv(_release(), _tr("ja"), "ja", CREDIT))
    blank = rows.index([])
    block = dict(row for row in rows[1:blank])
    assert rows[0] == [text("report.item", "ja"), text("report.content", "ja")]
    assert block[text("report.period", "ja")] == "2025-08-01〜2025-08-14"
    assert block["ε"] == "1" and block["δ"] == "1e-06"
    assert block[text("report.mechanism", "ja")] == text("mechanism.gaussian", "ja")
    assert "2.5%" in block[text("report.rule", "ja")]  # the rule, not a fixed threshold
    assert block[text("report.notes", "ja")] == text("report.notes_text", "ja")
    assert len(block[text("report.release_id", "ja")]) == 32  # the release's random id
    assert block[text("report.created", "ja")] == "2025-09-01 12:30"
    assert block[text("report.credit", "ja")] == CREDIT
    assert block[text("report.kind", "ja")] == text("kind.flows", "ja")


def test_table_has_japanese_headers_words_and_empty_suppressed_values() -> None:
    """Headers and categories in Japanese, municipality names beside codes, no number hidden."""
    rows = _rows(report_csv(_release(), _tr("ja"), "ja", CREDIT))
    table = rows[rows.index([]) + 1 :]
    header = table[0]
    assert header == [
        text("col.cohort", "ja"),
        text("col.municipality_code", "ja"),
        text("col.municipality_name", "ja"),
        text("col.value", "ja"),
        text("col.ci95", "ja"),
        text("col.suppressed", "ja"),
    ]
    first, hidden, _ = table[1:]
    assert first[:2] == [text("cat.cohort.donor", "ja"), '="01206"'] and first[3:5] == ["120", "14"]
    assert first[2] == "釧路市"
    assert hidden[3:] == ["", "", text("report.suppressed_yes", "ja")]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_header_is_translated(lang: str) -> None:
    """No technical column name is left in either language."""
    columns = list(report_frame(_release(), _tr(lang), lang).columns)
    assert not {"cohort", "municipality_code", "value", "ci95", "suppressed"} & set(columns)


def test_english_report_and_no_credit() -> None:
    """The English dashboard gets an English report; without a credit the row is left out."""
    block = dict(report_metadata(_release(), _tr("en"), None))
    assert block["Period"] == "2025-08-01〜2025-08-14"
    assert text("report.credit", "en") not in block


def _as_excel_reads(cell: str) -> str:
    """What Excel shows for a CSV cell: ="…" is a text formula; digits become a number."""
    if cell.startswith('="') and cell.endswith('"'):
        return cell[2:-1].replace('""', '"')
    if cell.isdigit():
        return str(int(cell))  # the leading zero is gone
    return cell


def test_codes_keep_their_leading_zeros_in_excel() -> None:
    """Municipality codes are written as text formulas; Excel shows 01206, not 1206."""
    rows = _rows(report_csv(_release(), _tr("ja"), "ja", CREDIT))
    table = rows[rows.index([]) + 1 :]
    column = table[0].index(text("col.municipality_code", "ja"))
    shown = [_as_excel_reads(row[column]) for row in table[1:]]
    assert shown == ["01206", "30401", "01206"]
    assert _as_excel_reads("01206") == "1206"  # what a bare code would have become


@pytest.mark.parametrize(
    ("value", "written"),
    [("3-5", '="3-5"'), ("6-10", '="6-10"'), ("011", '="011"'), ("11+", "11+"), ("2", "2"),
     ("donor", "donor")],
)  # fmt: skip
def test_labels_excel_would_misread_are_written_as_text(value: str, written: str) -> None:
    """Visit buckets 3-5 and 6-10 would become dates, 011 a number; plain words stay."""
    assert excel_text(value) == written
