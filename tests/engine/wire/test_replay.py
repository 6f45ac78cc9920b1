"""The carrier's replay guard: Accept once per query id (across restarts), then each step once,
in order; every refusal is reported and nothing else changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.wire.replay import STAMP_KEY, STEPS, ReplayGuard, Stamp
from foundation.errors import ProtocolError

QUERY = "a" * 24
OTHER = "b" * 24


def _guard(path: Path | None = None) -> tuple[ReplayGuard, list[str]]:
    refusals: list[str] = []
    return ReplayGuard(path, refusals.append), refusals


def _walk(guard: ReplayGuard, query_id: str, until: str = "Record") -> None:
    for method, step in STEPS.items():
        guard.claim(method, Stamp(query_id, step), query_id)
        if method == until:
            return


def test_every_step_once_in_order_is_admitted() -> None:
    """An honest query passes every step; it is then closed."""
    guard, refusals = _guard()
    _walk(guard, QUERY)
    assert refusals == [] and guard.open_queries() == []


def test_a_replayed_accept_is_refused_even_after_a_restart(tmp_path: Path) -> None:
    """The record is in SQLite: a new guard on the same file still refuses the query id."""
    guard, _ = _guard(tmp_path / "queries.sqlite")
    _walk(guard, QUERY)
    guard.close()
    again, refusals = _guard(tmp_path / "queries.sqlite")
    with pytest.raises(ProtocolError, match=r"accepted before \(a replayed Accept\); nothing was"):
        again.claim("Accept", Stamp(QUERY, 0), QUERY)
    assert refusals == ["refused Accept: this query id was accepted before (a replayed Accept)"]
    again.claim("Accept", Stamp(OTHER, 0), OTHER)  # a new query id is fine
    again.close()


@pytest.mark.parametrize(
    ("method", "step", "reason"),
    [
        ("Reblind", 1, "expects step 2 now, this call is step 1"),  # replayed
        ("NoisedSums", 6, "expects step 2 now, this call is step 6"),  # skips ahead
        ("Scope", 3, "stamped as step 3, not step 2"),  # a stamp that lies about its method
    ],
)
def test_a_later_step_out_of_its_order_is_refused(method: str, step: int, reason: str) -> None:
    """After Accept and Reblind only Scope (step 2) is admitted; a refusal advances nothing."""
    guard, refusals = _guard()
    _walk(guard, QUERY, until="Reblind")
    with pytest.raises(ProtocolError, match=r"replayed or out of order|stamped as"):
        guard.claim(method, Stamp(QUERY, step), QUERY)
    assert reason in refusals[0]
    guard.claim("Scope", Stamp(QUERY, 2), QUERY)  # the honest next step still works


def test_steps_of_a_finished_or_unknown_query_are_refused() -> None:
    """After Record, nothing more; a query never accepted gets no step; Abandon is a no-op."""
    guard, refusals = _guard()
    _walk(guard, QUERY)
    with pytest.raises(ProtocolError, match="finished or was abandoned"):
        guard.claim("Record", Stamp(QUERY, 7), QUERY)
    with pytest.raises(ProtocolError, match="never accepted"):
        guard.claim("Reblind", Stamp(OTHER, 1), OTHER)
    guard.claim("Abandon", Stamp(OTHER, -1), OTHER)  # nothing open: quiet
    assert len(refusals) == 2


def test_abandon_closes_an_open_query_and_close_all_closes_the_rest() -> None:
    """Abandon at any step closes the query; a restarted node closes whatever was open."""
    guard, _ = _guard()
    _walk(guard, QUERY, until="Scope")
    guard.claim("Abandon", Stamp.for_call("Abandon", QUERY), QUERY)
    with pytest.raises(ProtocolError, match="finished or was abandoned"):
        guard.claim("Indicators", Stamp(QUERY, 3), QUERY)
    _walk(guard, OTHER, until="Accept")
    assert guard.open_queries() == [OTHER]
    assert guard.close_all() == 1 and guard.open_queries() == []


def test_the_stamp_must_name_the_message_s_query_and_be_well_formed() -> None:
    """A stamp for another query, a missing, doubled or malformed stamp: refused."""
    guard, refusals = _guard()
    with pytest.raises(ProtocolError, match="another query"):
        guard.claim("Accept", Stamp(OTHER, 0), QUERY)
    for metadata in ([], [Stamp(QUERY, 0).metadata()] * 2, [(STAMP_KEY, "x:0")]):
        with pytest.raises(ProtocolError, match="stamp"):
            guard.admit("Accept", metadata, QUERY)
    assert len(refusals) == 4
    guard.admit("Accept", [("other", "1"), Stamp(QUERY, 0).metadata()], QUERY)
    assert Stamp.from_metadata([Stamp(QUERY, 5).metadata()]) == Stamp(QUERY, 5)
