"""The airline node's API in process: errors cross by class, a bug's message never crosses.

A fake facade behind :func:`serve_airline_api` on 127.0.0.1 (port 0) and the dashboard's
:class:`AirlineClient` with the demo certificates: the client gets the facade's answers, the
facade's Crossmesh errors as the same classes, and for a bug only its type name — not its
message, which may quote a value from a party's files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.nodes.airline_client import AirlineClient
from engine.queries import QuerySpec
from engine.service import WorkspaceStatus
from engine.wire.airline_api import ApiServing, serve_airline_api
from engine.wire.certificates import load_identity, write_demo_certificates
from foundation.errors import BudgetExceeded, InputError, PeerError

SPEC = QuerySpec(kind="visit-map", airport="FUK", start="2025-08-01", end="2025-08-03", epsilon=1)
SECRET = "090-1234-5678"


class FakeFacade:
    """Answers the status; refuses estimates, budgets and releases in three ways."""

    serves_population = True

    def status(self) -> WorkspaceStatus:
        return WorkspaceStatus(
            Path("ws"), Path("data"), "tiny", dt.date(2025, 8, 1), dt.date(2025, 8, 14),
            "approximate", True, None,
        )  # fmt: skip

    def fit(self, spec: QuerySpec) -> QuerySpec:
        return spec

    def estimate(self, spec: QuerySpec) -> Any:
        raise InputError("the dates lie outside the data")

    def release(self, spec: QuerySpec, progress: Callable[[str, float], None]) -> Any:
        progress("join", 0.1)
        raise BudgetExceeded("the budget of 2025-08 is spent")

    def cached_release(self, spec: QuerySpec) -> Any:
        return None

    def releases(self) -> list[Any]:
        return []

    def reopen(self, release_id: str) -> Any:
        raise RuntimeError(f"a bug quoting {SECRET}")

    def budgets(self) -> list[Any]:
        return []

    def audit(self, limit: int | None = 200) -> list[Any]:
        return []


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiServing, Path]]:
    certs = tmp_path_factory.mktemp("certs")
    prints = write_demo_certificates(certs)
    serving = serve_airline_api(
        FakeFacade(), load_identity(certs, "airline"), prints["dashboard"], "127.0.0.1:0"
    )
    yield serving, certs
    serving.stop(1)


@pytest.fixture
def client(served: tuple[ApiServing, Path]) -> Iterator[AirlineClient]:
    serving, certs = served
    airline = load_identity(certs, "airline")
    shown = AirlineClient(
        f"127.0.0.1:{serving.port}", load_identity(certs, "dashboard"), airline.fingerprint
    )
    yield shown
    shown.close()


def test_answers_cross_as_the_facade_gave_them(client: AirlineClient) -> None:
    """The status, a fitted spec, an empty cache and an empty list come back as values."""
    status = client.status()
    assert (status.scale, status.start, status.end) == (
        "tiny",
        dt.date(2025, 8, 1),
        dt.date(2025, 8, 14),
    )
    assert client.serves_population  # the facade's carrier answers for its population
    assert client.fit(SPEC) == SPEC
    assert client.cached_release(SPEC) is None
    assert client.releases() == [] and client.budgets() == [] and client.audit(10) == []


def test_errors_cross_by_class_and_a_bug_by_its_type_name_only(client: AirlineClient) -> None:
    """InputError and BudgetExceeded arrive as themselves (the progress before them too); a bug
    arrives as a PeerError naming its type, without its message."""
    with pytest.raises(InputError, match="outside the data"):
        client.estimate(SPEC)
    steps: list[str] = []
    with pytest.raises(BudgetExceeded, match="2025-08 is spent"):
        client.release(SPEC, lambda step, _fraction: steps.append(step))
    assert steps == ["join"]
    with pytest.raises(PeerError, match="RuntimeError") as caught:
        client.reopen("3")
    assert SECRET not in str(caught.value)
