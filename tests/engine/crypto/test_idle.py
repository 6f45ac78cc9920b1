"""The idle gate of the background fillers: holds nest, the last release lets them run."""

from __future__ import annotations

import threading

from engine.crypto.idle import IdleGate


def test_holds_nest_and_only_the_last_release_opens() -> None:
    """Two overlapping holds (a query and one of its calls): open only after both end."""
    gate = IdleGate()
    assert not gate.held and gate.holds == 0
    gate.hold()
    with gate.held_for():
        assert gate.holds == 2
    assert gate.held, "the call's end resumed the filler while the query still held it"
    gate.release()
    assert not gate.held and gate.holds == 0
    gate.release()  # one too many: never below zero
    assert gate.holds == 0 and not gate.held


def test_a_waiting_filler_runs_when_the_gate_opens() -> None:
    """wait() blocks while held and returns once released (or opened for a stop)."""
    gate = IdleGate()
    gate.hold()
    passed = threading.Event()
    filler = threading.Thread(target=lambda: (gate.wait(), passed.set()))
    filler.start()
    assert not passed.wait(0.2)
    gate.release()
    assert passed.wait(5)
    filler.join()
    gate.hold()
    gate.open_for_good()
    gate.wait()  # returns at once: a stopping filler is let through
