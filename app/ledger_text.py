"""The ledger's words in the reader's language: actions, actors, scopes, kinds, times in JST.

The engine's ledger and audit log are written once, in a fixed technical English (they are
evidence and must not change with the reader). A planner reading the dashboard in Japanese should
still see Japanese: this module turns each stored field into display text — an action, an actor,
a scope such as ``airline+carrier@2025-08`` (→ 航空×通信 2025年8月), a release summary's kind, a
known detail pattern (``reservation 5 stays spent: …``) — and UTC timestamps into JST. Anything it
does not recognise is shown as stored, never dropped.

Map: :func:`jst`, :func:`actor_text`, :func:`scope_text`, :func:`kind_text`, :func:`summary_text`,
:func:`detail_text`, and for whole tables :func:`releases_for_people` and
:func:`audit_for_people`; each takes the translator ``tr(key, **values)`` of the page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pandas as pd

from app.i18n import has_text
from app.names import region_label
from geo.places import REGIONS

__all__ = [
    "actor_text",
    "audit_for_people",
    "detail_text",
    "jst",
    "kind_text",
    "releases_for_people",
    "scope_text",
    "summary_text",
]

Translate = Callable[..., str]
JST = dt.timezone(dt.timedelta(hours=9), "JST")

_RESERVED = re.compile(r"^reservation (\d+)$")
_COMMITTED = re.compile(r"^reservation (\d+) → release (\d+)")
_SPENT = re.compile(r"^reservation (\d+) stays spent")
_SERVED = re.compile(r"^served release (\d+)")
_REMAINING = re.compile(r"^remaining ρ ([\d.e+-]+) of ([\d.e+-]+)")


def jst(stamp: object) -> str:
    """An ISO timestamp (UTC, or naive meaning UTC) as ``YYYY-MM-DD HH:MM`` JST; else as given."""
    text = str(stamp or "")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def scope_text(scope: object, tr: Translate) -> str:
    """``airline+carrier@2025-08`` → the dataset's name and the month, in the reader's words."""
    text = str(scope or "")
    if "," in text:  # several scopes in one audit row
        return ", ".join(scope_text(part, tr) for part in text.split(","))
    dataset, _, month = text.partition("@")
    if not month:
        return text
    key = f"dataset.{dataset}"
    name = tr(key) if has_text(key) else dataset
    return tr("ledger.scope", dataset=name, month=tr("ledger.month", **_year_month(month)))


def _year_month(month: str) -> dict[str, str]:
    year, _, number = month.partition("-")
    return {"year": year, "month": str(int(number)) if number.isdigit() else number}


def actor_text(actor: object, tr: Translate) -> str:
    """``airline``, ``carrier`` or ``admin:NAME`` in the reader's words (a test actor as stored)."""
    name, _, who = str(actor or "").partition(":")
    key = f"actor.{name}"
    if not has_text(key):
        return str(actor)
    return f"{tr(key)} ({who})" if who else tr(key)


def kind_text(kind: object, tr: Translate) -> str:
    """A query kind (``visit-map``) as the reader's name for it."""
    key = f"kind.{kind}"
    return tr(key) if has_text(key) else str(kind)


def summary_text(summary: object, tr: Translate) -> str:
    """A release summary whose first word is a kind: that word, and a region's id, in the
    reader's words (``population nanki_shirahama …`` → ``人口（通信のみ） 南紀白浜 …``)."""
    first, _, rest = str(summary or "").partition(" ")
    if not has_text(f"kind.{first}"):
        return str(summary)
    lang = tr("lang.code")
    words = [region_label(REGIONS[w], lang) if w in REGIONS else w for w in rest.split(" ")]
    return f"{kind_text(first, tr)} {' '.join(words)}".strip()


def releases_for_people(releases: pd.DataFrame, tr: Translate) -> pd.DataFrame:
    """A :func:`~app.ledger_view.release_frame` with kinds, summaries and times in words."""
    return releases.assign(
        kind=[kind_text(k, tr) for k in releases["kind"]],
        summary=[summary_text(t, tr) for t in releases["summary"]],
        created=[jst(t) for t in releases["created"]],
    )


def audit_for_people(log: pd.DataFrame, tr: Translate) -> pd.DataFrame:
    """An :func:`~app.ledger_view.audit_frame` with every field in the reader's words."""
    return log.assign(
        at=[jst(t) for t in log["at"]],
        actor=[actor_text(a, tr) for a in log["actor"]],
        action=[tr(f"audit.{a}") if has_text(f"audit.{a}") else a for a in log["action"]],
        scope=[scope_text(s, tr) for s in log["scope"]],
        detail=[summary_text(detail_text(d, tr), tr) for d in log["detail"]],
    )


def detail_text(detail: object, tr: Translate) -> str:
    """A known audit detail in the reader's words (the stored English otherwise)."""
    text = str(detail or "")
    if text.startswith("total ρ "):
        return tr("audit.detail.set_budget", change=text.removeprefix("total ρ "))
    for pattern, key in (
        (_COMMITTED, "audit.detail.commit"),
        (_SPENT, "audit.detail.spent"),
        (_RESERVED, "audit.detail.reserve"),
        (_SERVED, "audit.detail.served"),
    ):
        found = pattern.match(text)
        if found:
            return tr(key, id=found.group(1), release=found.group(found.lastindex or 1))
    found = _REMAINING.match(text)
    if found:
        return tr("audit.detail.refuse", left=found.group(1), total=found.group(2))
    return text
