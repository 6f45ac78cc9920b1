"""The privacy ledger as tables people read: budgets, releases and the audit log.

The service returns its own row types (:meth:`CrossmeshService.budgets`, ``releases``, ``audit``);
these functions turn a list of them into pandas frames with stable column names for the pages,
reading each field by name. Budgets are accounted in ρ (it adds up exactly); people are shown ε at
the workspace's δ, and the share of a budget left is computed on ρ.

* :func:`budget_frame` — scope, dataset, month, total/spent/remaining ε, share left;
* :func:`release_frame` — id, kind, summary, created, ε;
* :func:`audit_frame` — time, actor, action, scope, ε, detail;
* :func:`releases_left` — about how many releases of a given cost the scopes can still afford.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["audit_frame", "budget_frame", "release_frame", "releases_left", "split_scope"]

_MISSING = object()


def _field(row: Any, *names: str, default: Any = None) -> Any:
    """The first of ``names`` that ``row`` has (the service's rows name some fields two ways)."""
    for name in names:
        value = getattr(row, name, _MISSING)
        if value is not _MISSING and value is not None:
            return value
    return default


def _epsilon(row: Any, name: str) -> float:
    """``<name>_epsilon`` (or ``epsilon``) if the row has it, else ε of its ρ at the default δ."""
    prefix = "" if name == "epsilon" else f"{name}_"
    value = _field(row, f"{prefix}epsilon")
    if value is not None:
        return float(value)
    rho = _field(row, f"{prefix}rho")
    if rho is None:
        return float("nan")
    from engine.ledger.epsilon import epsilon_at_default_delta

    return float(epsilon_at_default_delta(float(rho)).epsilon)


def split_scope(scope: str) -> tuple[str, str]:
    """``airline+carrier@2025-08`` → (``airline+carrier``, ``2025-08``)."""
    dataset, _, month = str(scope).partition("@")
    return dataset, month


def _share_left(row: Any) -> float:
    total = _field(row, "total_rho", "total_epsilon")
    left = _field(row, "remaining_rho", "remaining_epsilon")
    if not total:
        return 0.0
    return max(0.0, min(1.0, float(left or 0) / float(total)))


def budget_frame(rows: Iterable[Any]) -> pd.DataFrame:
    """One row per budget scope, sorted by dataset and month."""
    records = []
    for row in rows:
        dataset, month = split_scope(str(row.scope))
        records.append(
            {
                "scope": str(row.scope),
                "dataset": dataset,
                "month": month,
                "total_epsilon": _epsilon(row, "total"),
                "spent_epsilon": _epsilon(row, "spent"),
                "remaining_epsilon": _epsilon(row, "remaining"),
                "share_left": _share_left(row),
            }
        )
    columns = ["scope", "dataset", "month", "total_epsilon", "spent_epsilon"]
    columns += ["remaining_epsilon", "share_left"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.sort_values(["dataset", "month"]).reset_index(drop=True)


def _summary(row: Any) -> str:
    summary = _field(row, "summary")
    if summary:
        return str(summary)
    spec = _field(row, "spec", default={})
    where = spec.get("airport") or spec.get("municipality") or spec.get("region") or ""
    return f"{spec.get('kind', '')} {where} {spec.get('start', '')}–{spec.get('end', '')}"


def release_frame(rows: Sequence[Any]) -> pd.DataFrame:
    """One row per committed release, newest first."""
    records = [
        {
            "release_id": str(_field(row, "release_id", "id")),
            "kind": str(_field(row, "kind", default="") or _summary(row).split(" ")[0]),
            "summary": _summary(row),
            "created": str(_field(row, "created_at", "created", default=""))[:19],
            "epsilon": _epsilon(row, "epsilon"),
        }
        for row in rows
    ]
    columns = ["release_id", "kind", "summary", "created", "epsilon"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    # Ledger ids grow with time; sort on them (as numbers) whatever order the rows came in.
    order = pd.to_numeric(frame["release_id"], errors="coerce")
    ordered = frame.assign(order=order).sort_values(["order", "created"], ascending=False)
    return ordered.drop(columns="order").reset_index(drop=True)


def audit_frame(rows: Sequence[Any]) -> pd.DataFrame:
    """One row per audit entry, newest first."""
    records = [
        {
            "at": str(row.at)[:19],
            "actor": str(row.actor),
            "action": str(getattr(row.action, "value", row.action)),
            "scope": str(row.scope or ""),
            "epsilon": None if row.epsilon is None else float(row.epsilon),
            "detail": str(row.detail or ""),
        }
        for row in rows
    ]
    columns = ["at", "actor", "action", "scope", "epsilon", "detail"]
    return pd.DataFrame.from_records(records, columns=columns).iloc[::-1].reset_index(drop=True)


def releases_left(
    remaining_rho: Mapping[str, float], charge_rho: Mapping[str, float]
) -> int | None:
    """How many more times the ``charge_rho`` per scope fits in ``remaining_rho`` (None: free).

    Counted in ρ, where costs add up exactly: the scope that runs out first decides. A scope
    charged nothing does not limit; when nothing is charged at all the answer is None.
    """
    counts = [
        math.floor(remaining_rho.get(scope, 0.0) / charge * (1 + 1e-9))
        for scope, charge in charge_rho.items()
        if charge > 0
    ]
    return max(0, min(counts)) if counts else None
