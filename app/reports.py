"""A release as a report people open in a spreadsheet: localised CSV with a metadata block.

The engine writes a release for machines (:mod:`engine.dp.export`: label columns under their
technical names, ``value``, ``suppressed``, ``ci95``, and the metadata in a JSON file beside the
CSV). That file is right for the command line and for tools, and it stays as it is. A planner
who presses "download CSV" in the Japanese dashboard needs something else: a file that Japanese
Excel opens without mojibake, with headers and categories in their language, and which says on
its own how its numbers were made — a report, not a data dump. This module builds that report
from the release alone (published values only; nothing here reads party data):

* :func:`report_frame` — the release's rows with headers and categories in the reader's words
  (codes stay codes, a municipality code gets its name beside it; a suppressed value stays empty);
* :func:`report_metadata` — the block above the table: what was asked, period, ε, δ, mechanism,
  the publication rule and notes, the release id, the time (JST) and the data credit;
* :func:`report_csv` — both as CSV bytes: UTF-8 with a byte-order mark (how Excel recognises
  UTF-8), CRLF line ends, the metadata block, one empty line, then the table. Excel reads a CSV
  cell that looks like a number or a date as one: 01208 (北見市) would lose its leading zero and
  the visit bucket 3-5 would become 5 March. Codes (municipality and mesh) and any label that
  Excel would misread are therefore written as ``="01208"`` (:func:`excel_text`), a formula
  whose value is the text itself; Excel and LibreOffice show ``01208``.

Every function takes the page's translator ``tr(key, **values)`` and language, so the same
report comes out in English in the English dashboard.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from app.i18n import has_text
from app.ledger_text import jst, kind_text
from app.names import category, municipality_names

if TYPE_CHECKING:
    from engine.dp import Release

__all__ = ["excel_text", "period_text", "report_csv", "report_frame", "report_metadata"]

Translate = Callable[..., str]
MUNICIPALITY = "municipality_code"
VALUE_COLUMNS = ("value", "ci95", "suppressed")
NAME_COLUMN = "municipality_name"
CODE_COLUMNS = ("municipality_code", "mesh_code")
# What Excel turns into a number or a date: a leading zero, 3-5 or 8/1, long digit strings.
MISREAD = re.compile(r"0\d+|\d+[-/.]\d+(?:[-/.]\d+)?|\d{12,}")


def _header(column: str, tr: Translate) -> str:
    """A column's header in the reader's words (its technical name if there are none)."""
    key = f"col.{column}"
    return tr(key) if has_text(key) else column


def report_frame(release: Release, tr: Translate, lang: str) -> pd.DataFrame:
    """The release's rows for people: localised headers and categories, values as published."""
    frame = release.to_frame()
    labels = list(release.label_names)
    shown = pd.DataFrame(
        {name: [category(name, value, lang) for value in frame[name]] for name in labels}
    )
    if MUNICIPALITY in labels:
        names = municipality_names(lang)
        position = labels.index(MUNICIPALITY) + 1
        column = [names.get(str(code), "") for code in frame[MUNICIPALITY]]
        shown.insert(position, NAME_COLUMN, column)
    shown["value"] = frame["value"]
    shown["ci95"] = frame["ci95"]
    hidden = tr("report.suppressed_yes")
    shown["suppressed"] = [hidden if flag else "" for flag in frame["suppressed"]]
    return shown.rename(columns={column: _header(column, tr) for column in shown.columns})


def period_text(release: Release) -> str:
    """The release's period, ``2025-08-01〜2025-08-07`` (one day alone; – without dates)."""
    spec = release.query_spec
    start, end = spec.get("start"), spec.get("end")
    if not start:
        return "–"
    return f"{start}〜{end}" if end and end != start else str(start)


def report_metadata(release: Release, tr: Translate, credit: str | None) -> list[tuple[str, str]]:
    """The block above the table: (item, value) pairs in the reader's words."""
    spec = release.query_spec
    delta = f"{release.delta:.0e}" if release.delta else "0"
    pairs = [
        (tr("report.kind"), kind_text(spec.get("kind", ""), tr)),
        (tr("report.period"), period_text(release)),
        ("ε", f"{release.epsilon:.4g}"),
        ("δ", delta),
        (tr("report.mechanism"), tr(f"mechanism.{release.mechanism}")),
        (tr("report.rule"), tr("report.rule_text", threshold=release.threshold)),
        (tr("report.notes"), tr("report.notes_text")),
        (tr("report.release_id"), release.release_id),
        (tr("report.created"), jst(release.created_at)),
    ]
    if spec.get("airport"):
        pairs.insert(1, (tr("col.airport"), str(spec["airport"])))
    if credit:
        pairs.append((tr("report.credit"), credit))
    return pairs


def excel_text(value: object, code: bool = False) -> object:
    """``value`` as ``="value"`` when it is a ``code`` or Excel would misread it, else as it is."""
    if isinstance(value, str) and (code or MISREAD.fullmatch(value)):
        return '="' + value.replace('"', '""') + '"'
    return value


def report_csv(release: Release, tr: Translate, lang: str, credit: str | None = None) -> bytes:
    """The report as CSV that Excel opens correctly: UTF-8 with BOM, metadata, blank, table."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([tr("report.item"), tr("report.content")])
    writer.writerows(report_metadata(release, tr, credit))
    writer.writerow([])
    table = report_frame(release, tr, lang)
    writer.writerow(list(table.columns))
    labels = {_header(name, tr) for name in release.label_names}
    codes = {_header(name, tr) for name in CODE_COLUMNS}
    for row in table.itertuples(index=False):
        writer.writerow(
            [
                "" if pd.isna(cell) else excel_text(cell, column in codes) if column in labels
                else cell
                for column, cell in zip(table.columns, row, strict=True)
            ]
        )  # fmt: skip
    return buffer.getvalue().encode("utf-8-sig")
