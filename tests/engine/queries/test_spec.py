"""Query specs: validation, canonical hashing and the budget months they charge."""

from __future__ import annotations

import pytest

from engine.queries import QuerySpec
from foundation.errors import InputError


def test_equal_specs_hash_equal_and_differ_otherwise() -> None:
    """Identical questions hash the same; any change changes the hash."""
    a = QuerySpec(kind="visit-map", airport="SHM", start="2025-08-01", end="2025-08-31", epsilon=1)
    b = QuerySpec(kind="visit-map", airport="SHM", start="2025-08-01", end="2025-08-31", epsilon=1)
    c = QuerySpec(kind="visit-map", airport="SHM", start="2025-08-01", end="2025-08-31", epsilon=2)
    assert a.spec_hash == b.spec_hash != c.spec_hash
    assert QuerySpec.from_canonical(a.canonical()) == a


def test_months_charged_cover_days_after_arrival_and_history() -> None:
    """Arrivals late in a month read the next one; repeat releases read the year before."""
    late = QuerySpec(kind="flows", airport="CTS", start="2025-08-30", end="2025-08-31", epsilon=1)
    assert late.data_months == ("2025-08", "2025-09")
    repeat = QuerySpec(
        kind="repeat", airport="SHM", start="2025-08-01", end="2025-08-31", epsilon=1
    )
    assert repeat.data_months[0] == "2024-08" and repeat.data_months[-1] == "2025-08"
    early = QuerySpec(kind="flows", airport="CTS", start="2025-08-01", end="2025-08-29", epsilon=1)
    assert early.data_months == ("2025-08",)  # three days from Aug 29 end on Aug 31
    assert QuerySpec(kind="population", region="fukuoka", start="2025-08-01", end="2025-08-02",
                     epsilon=1).dataset == "carrier"  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "nope"},
        {"airport": "XXX"},
        {"epsilon": 0},
        {"end": "2025-07-01"},
        {"mechanism": "uniform"},
        {"days": 0},
        {"max_trips": 0},
    ],
)
def test_bad_specs_name_the_problem(bad: dict[str, object]) -> None:
    """Every invalid field is an InputError."""
    fields: dict[str, object] = {
        "kind": "visit-map", "airport": "SHM", "start": "2025-08-01", "end": "2025-08-31",
        "epsilon": 1.0,
    }  # fmt: skip
    fields.update(bad)
    with pytest.raises(InputError):
        QuerySpec(**fields)  # type: ignore[arg-type]
