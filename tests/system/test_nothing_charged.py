"""Nothing is charged for a release that fails before noise is drawn."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from engine.ledger.values import Scope
from engine.queries import QuerySpec
from engine.service import CrossmeshService
from engine.session import SecureSession
from foundation.errors import BudgetExceeded, InputError

SPEC = QuerySpec(kind="visit-map", airport="SHM", start="2025-08-01", end="2025-08-07", epsilon=1)


def _reservations(session: SecureSession) -> int:
    return sum(
        1
        for ledger in (session.airline.ledger, session.carrier.ledger)
        for entry in ledger.audit()
        if str(entry.action) == "reserve"
    )


def test_a_broken_members_file_is_refused_before_anything_is_charged(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """members.csv loses its phone column after prepare: a clear error, no reservation."""
    data = tmp_path / "data"
    shutil.copytree(tiny_dir, data)
    with SecureSession(tmp_path / "ws", data) as session:
        session.prepare()
    members = pd.read_csv(data / "airline" / "members.csv", dtype=str)
    members.drop(columns=["phone"]).to_csv(data / "airline" / "members.csv", index=False)
    with SecureSession(tmp_path / "ws", data) as session:
        with pytest.raises(InputError, match="members"):
            session.release(SPEC)
        assert _reservations(session) == 0
        status = session.airline.ledger.budgets()
        assert all(budget.spent_rho == 0 for budget in status)


def test_a_window_past_the_data_is_refused_by_the_service_before_any_charge(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """Arrivals to Aug 14 with three days after, data to Aug 14: refused, the fit offered."""
    with SecureSession(tmp_path / "ws", tiny_dir) as session:
        session.prepare()
    service = CrossmeshService(tmp_path / "ws", tiny_dir)
    try:
        spec = QuerySpec(kind="visit-map", airport="SHM", start="2025-08-01", end="2025-08-14",
                         days=3, epsilon=1)  # fmt: skip
        with pytest.raises(InputError, match="2025-08-01 – 2025-08-12"):
            service.release(spec)
        with pytest.raises(InputError):
            service.submit(spec)
        assert _reservations(service.session) == 0
        fitted = service.fit(spec)
        assert fitted.end == dt.date(2025, 8, 12)
        assert service.status().end == dt.date(2025, 8, 14)
        service.release(fitted)
        assert _reservations(service.session) > 0
    finally:
        service.close()


def test_a_query_the_carrier_refuses_costs_the_airline_nothing(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """The carrier's budget cannot pay: refused at its checks, before the airline reserves."""
    spec = QuerySpec(kind="visit-map", airport="SHM", start="2025-08-01", end="2025-08-07",
                     epsilon=1)  # fmt: skip
    with SecureSession(tmp_path / "ws", tiny_dir) as session:
        session.prepare()
        session.carrier.ledger.set_budget(Scope("carrier", "2025-08"), 1e-4, "test")
        with pytest.raises(BudgetExceeded):
            session.release(spec)
        airline = session.airline.ledger
        assert not [e for e in airline.audit() if str(e.action) == "reserve"]
        assert all(budget.spent_rho == 0 for budget in airline.budgets())
        session.carrier.ledger.set_budget(Scope("carrier", "2025-08"), 10, "test")
        assert session.release(spec).values  # the next try runs
        assert [e for e in airline.audit() if str(e.action) == "reserve"]
