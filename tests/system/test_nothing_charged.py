"""Nothing is charged for a release that fails before noise is drawn."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from engine.queries import QuerySpec
from engine.session import SecureSession
from foundation.errors import InputError

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
