"""The typed messages of the airline node's local API: what the dashboard asks, what it is shown.

The dashboard is the airline's and only ever sees what the airline may see: published releases,
its own ledger (budgets and audit rows, which hold no personal data and no exact counts), the
data period and the cost of a spec — for the carrier's own population releases, the budget the
carrier's node says it has left (:mod:`engine.population_budget`). So every message here is
public text or numbers — a canonical query spec, a release's published JSON, a budget row. As
on the link between the nodes (:mod:`engine.wire.messages`) each message is a frozen dataclass
checked when built, sent as msgpack of ``[version, kind, fields]``, and rebuilt (so re-checked)
on arrival; a message of another API version is refused.

In the order of a dashboard session::

    Status      Ask               → StatusView       the data period, the area source, and
                                                     whether population releases are offered
    Fit         SpecText          → SpecText         the spec clipped to the data
    Estimate    SpecText          → CostView         its cost and the budget left
    Release     SpecText          → stream Progress  …, then the release (ReleaseText) last
    Cached      SpecText          → ReleaseText      a committed release, or an empty text
    Releases    Ask               → ReleaseList      every committed release, newest first
    Reopen      ReleaseRef        → ReleaseText      a past release, at no cost
    Ledger      Ask               → LedgerView       budgets and the newest audit rows
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import msgpack

from foundation.errors import ProtocolError

__all__ = [
    "API_VERSION",
    "ApiMessage",
    "Ask",
    "CostView",
    "LedgerView",
    "Progress",
    "ReleaseList",
    "ReleaseRef",
    "ReleaseText",
    "SpecText",
    "StatusView",
    "decode_api",
    "encode_api",
]

API_VERSION = 1


def _check_json(name: str, text: str, *, empty: bool = False) -> None:
    if not isinstance(text, str) or (empty and not text):
        return
    try:
        json.loads(text)
    except ValueError as err:
        raise ProtocolError(f"{name} must be JSON text") from err


@dataclass(frozen=True)
class Ask:
    """Dashboard → node: a question with no argument but how many audit rows to show."""

    kind: ClassVar[str] = "ask"
    limit: int = 200

    def __post_init__(self) -> None:
        if not isinstance(self.limit, int) or not 1 <= self.limit <= 10_000:
            raise ProtocolError("the audit limit must be a whole number from 1 to 10000")


@dataclass(frozen=True)
class SpecText:
    """A canonical query spec as JSON (public: the question asked)."""

    kind: ClassVar[str] = "spec_text"
    spec: str

    def __post_init__(self) -> None:
        _check_json("a spec", self.spec)


@dataclass(frozen=True)
class ReleaseText:
    """A published release as JSON; empty when there is none (a cache miss)."""

    kind: ClassVar[str] = "release_text"
    release: str

    def __post_init__(self) -> None:
        _check_json("a release", self.release, empty=True)


@dataclass(frozen=True)
class ReleaseRef:
    """Dashboard → node: which past release to reopen (a ledger id, ``"12"``)."""

    kind: ClassVar[str] = "release_ref"
    release_id: str

    def __post_init__(self) -> None:
        if not isinstance(self.release_id, str) or not 1 <= len(self.release_id) <= 20:
            raise ProtocolError("a release id is a short text")


@dataclass(frozen=True)
class Progress:
    """Node → dashboard, while a release runs: its step and how far it is (0–1)."""

    kind: ClassVar[str] = "progress"
    step: str
    fraction: float

    def __post_init__(self) -> None:
        if not isinstance(self.fraction, float | int) or not 0 <= self.fraction <= 1:
            raise ProtocolError("progress is a fraction from 0 to 1")


@dataclass(frozen=True)
class StatusView:
    """Node → dashboard: the period inside both parties' data and the area source (public), and
    whether the node offers the carrier's population releases (its carrier node answers for
    them; a node of an older release sends no such field: not offered)."""

    kind: ClassVar[str] = "status_view"
    scale: str
    start: str
    end: str
    area_source: str
    approximate_areas: bool
    credit: str
    serves_population: bool = False


@dataclass(frozen=True)
class CostView:
    """Node → dashboard: what a spec would spend and the budget left (``CostEstimate``)."""

    kind: ClassVar[str] = "cost_view"
    estimate: dict[str, Any]


@dataclass(frozen=True)
class ReleaseList:
    """Node → dashboard: every committed release's summary (``ReleaseSummary`` fields)."""

    kind: ClassVar[str] = "release_list"
    items: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class LedgerView:
    """Node → dashboard: the budget rows and the newest audit rows of the airline's ledger."""

    kind: ClassVar[str] = "ledger_view"
    budgets: tuple[dict[str, Any], ...]
    audit: tuple[dict[str, Any], ...]


ApiMessage = (
    Ask | SpecText | ReleaseText | ReleaseRef | Progress | StatusView | CostView | ReleaseList
    | LedgerView
)  # fmt: skip
_TYPES: dict[str, type[Any]] = {
    cls.kind: cls
    for cls in (
        Ask,
        SpecText,
        ReleaseText,
        ReleaseRef,
        Progress,
        StatusView,
        CostView,
        ReleaseList,
        LedgerView,
    )
}


def encode_api(message: ApiMessage) -> bytes:
    """The message's binary form: msgpack of ``[API_VERSION, kind, {field: value}]``."""
    body = {f.name: getattr(message, f.name) for f in fields(message)}
    return msgpack.packb([API_VERSION, message.kind, body], use_bin_type=True)


def decode_api(blob: bytes, expected: type[Any] | tuple[type[Any], ...]) -> Any:
    """Rebuild (and so re-check) a message of type ``expected`` (or one of them); refuse
    another API version."""
    try:
        version, kind, body = msgpack.unpackb(blob, raw=False, use_list=False)
        cls = _TYPES[kind]
    except (ValueError, KeyError, TypeError, msgpack.UnpackException) as err:
        raise ProtocolError(f"not a Crossmesh API message ({type(err).__name__})") from err
    if version != API_VERSION:
        raise ProtocolError(
            f"the other end speaks API version {version}, this end {API_VERSION}; "
            "run the dashboard and the node from the same release"
        )
    wanted = expected if isinstance(expected, tuple) else (expected,)
    if cls not in wanted:
        raise ProtocolError(f"expected a {' or '.join(w.kind for w in wanted)} message, got {kind}")
    try:
        return cls(**body)
    except TypeError as err:
        raise ProtocolError(f"a {kind} message with unexpected fields") from err
