"""Japanese everywhere: every page, before and after its releases, shows no stray English word.

The walk reads what a user reads: titles, markdown, captions, alerts, metric labels and values,
widget labels, options and help, button and download labels, progress text, expander labels,
table headers (a column's configured label, else its name) and the text cells of tables, and
the titles, axis and legend headers and tooltip headers of charts. What may stay in Latin
letters is listed in :data:`ALLOWED`: proper nouns, codes and units. Maps are left to their own
tests (their labels and tooltips are drawn by deck.gl from the layer data).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from google.protobuf.message import Message
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

OpenPage = Callable[..., AppTest]

# Proper nouns, codes and units that are written in Latin letters in Japanese text too.
ALLOWED = {"Crossmesh", "GeoJSON", "km", "zCDP", "min"}
CODE = re.compile(r"^[A-Z0-9]{2,6}$")  # airport codes, CSV, ID, JST, N03, JIS…
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
PATH = re.compile(r"\S*/\S*")  # folder paths on the home page are the user's own
TAG = re.compile(r"<[^>]*>|&[a-z]+;")
# The proto fields a user reads (ids, icons, urls, formats and specs are not read).
READ = {"body", "label", "help", "options", "text", "placeholder", "title", "delta", "value"}
RELEASES = {
    "visit_map": ("run:visit",),
    "flows": ("run:flows", "run:profile"),
    "repeat": ("run:repeat:SHM,repeat:TAK",),
    "furusato": ("run:furusato",),
    "preboarding": ("run:preboarding",),
    "hokkaido": ("run:hokkaido",),
    "hourly": ("run:hourly",),
    "compare": ("run:compare:a,compare:b",),
}
PAGES = ("home", *RELEASES, "ledger", "method")
# Channels that draw no header (a range's end shares its start's axis).
SILENT_CHANNELS = {
    "detail",
    "order",
    "x2",
    "y2",
    "xOffset",
    "yOffset",
    "href",
    "key",
    "description",
}


def english(text: str) -> list[str]:
    """The Latin words of ``text`` that are neither proper nouns, codes nor units."""
    plain = PATH.sub(" ", TAG.sub(" ", text))
    return [w for w in WORD.findall(plain) if w not in ALLOWED and not CODE.match(w)]


def _strings(message: Message) -> Iterator[str]:
    """Every string a user reads in an element's protobuf, nested messages included."""
    for field, value in message.ListFields():
        items = (
            list(value) if isinstance(value, list | tuple) or hasattr(value, "extend") else [value]
        )
        for item in items:
            if isinstance(item, Message):
                yield from _strings(item)
            elif isinstance(item, str) and field.name in READ:
                yield item


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    for child in (getattr(node, "children", None) or {}).values():
        yield from _nodes(child)


def _table_texts(element: Any) -> Iterator[str]:
    """A table's headers as shown, and its text cells."""
    config = json.loads(element.proto.columns or "{}")
    frame: pd.DataFrame = element.value
    for column in frame.columns:
        settings = config.get(str(column), {})
        if not settings.get("hidden"):
            yield str(settings.get("label", column))
    for column in frame.select_dtypes(include=["object", "string"]).columns:
        yield from (str(cell) for cell in frame[column].dropna().unique())


def _shown_title(definition: dict[str, Any]) -> str | None:
    """The header a channel shows: its title, else its field's name (None: nothing shown)."""
    if "title" in definition:
        title = definition["title"]
        return title if isinstance(title, str) else None
    if definition.get("axis", {}) is None or definition.get("legend", {}) is None:
        return None
    field = definition.get("field")
    return None if field is None else str(field)


def _fields(spec: dict[str, Any]) -> Iterator[str]:
    """The fields a spec draws as labels, legend entries or tooltip values."""
    for channel, definition in spec.get("encoding", {}).items():
        if channel not in SILENT_CHANNELS:
            items = definition if isinstance(definition, list) else [definition]
            yield from (
                str(item["field"]) for item in items if isinstance(item, dict) and "field" in item
            )
    for layer in spec.get("layer", []):
        yield from _fields(layer)


def _chart_texts(spec: dict[str, Any]) -> Iterator[str]:
    """A Vega-Lite spec's titles and the headers of its axes, legends and tooltips."""
    if isinstance(spec.get("title"), str):
        yield spec["title"]
    for channel, definition in spec.get("encoding", {}).items():
        if channel in SILENT_CHANNELS:
            continue
        for item in definition if isinstance(definition, list) else [definition]:
            title = _shown_title(item) if isinstance(item, dict) else None
            if title is not None:
                yield title
    for layer in spec.get("layer", []):
        yield from _chart_texts(layer)


def _chart_values(proto: Any, spec: dict[str, Any]) -> Iterator[str]:
    """The text values of the chart's data in the fields it draws (axis labels, legends…)."""
    drawn = set(_fields(spec))
    tables = [proto.data.data] if proto.data.data else []
    tables += [dataset.data.data for dataset in proto.datasets]
    for data in tables:
        frame = convert_arrow_bytes_to_pandas_df(data)
        for column in drawn & set(frame.columns):
            if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
                yield from (str(cell) for cell in frame[column].dropna().unique())


def page_texts(app: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, text) for everything a user reads on the page."""
    for node in _nodes(app._tree):
        kind = type(node).__name__
        proto = getattr(node, "proto", None)
        if kind == "Dataframe":
            yield from ((kind, text) for text in _table_texts(node))
        elif proto is not None and getattr(proto, "spec", "") and kind == "UnknownElement":
            if node.type == "vega_lite_chart":
                spec = json.loads(proto.spec)
                yield from ((kind, text) for text in _chart_texts(spec))
                yield from ((kind, text) for text in _chart_values(proto, spec))
        elif proto is not None and kind not in ("UnknownElement", "PageLink"):
            yield from ((kind, text) for text in _strings(proto))


def leaks(app: AppTest) -> list[tuple[str, str]]:
    """Every (element type, text) with an English word outside the allow-list."""
    return sorted({(kind, text[:120]) for kind, text in page_texts(app) if english(text)})


def test_the_allow_list_keeps_codes_and_catches_words() -> None:
    """Codes, units and proper nouns pass; English words and tags' words do not."""
    assert english("SHM 南紀白浜空港 · 3 km · ε=1 · Crossmesh · CSV をダウンロード") == []
    assert english("データ: /tmp/x/data") == []
    assert english("reservation 5 stays spent") == ["reservation", "stays", "spent"]
    assert english('<span style="color:red">秘匿</span>') == []


@pytest.mark.parametrize("name", PAGES)
def test_no_english_in_the_japanese_ui(page: OpenPage, name: str) -> None:
    """The page, and the page after its releases, have no English word but codes and names."""
    app = page(name)
    found = leaks(app)
    for key in RELEASES.get(name, ()):
        app.button(key=key).click().run()
        assert not app.exception, [e.value for e in app.exception]
        found += leaks(app)
    if name == "ledger" and app.selectbox(key="ledger:pick").options:
        app.button(key="ledger:reopen").click().run()
        found += leaks(app)
    assert found == [], found
