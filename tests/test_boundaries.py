"""The data's way is one-directional, and each party's code reads only its own data.

These tests read the import statements of every module (no module is executed) and hold the
layout to the rules of DESIGN §2 and STYLE: the ground floor imports nothing of ours, ``geo``
only the ground floor, the engine never Streamlit, the airline's code nothing of the carrier's
and the reverse, and the facade no party inputs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("foundation", "engine", "geo", "sample_data", "app", "cli")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _package_imports(package: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(ROOT)): _imports(path)
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _ours(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in OURS}


def test_ground_floor_imports_nothing_of_ours() -> None:
    """foundation/ stands on the standard library alone."""
    for module, imported in _package_imports("foundation").items():
        assert _ours(imported) - {m for m in imported if m.startswith("foundation")} == set(), (
            module
        )


def test_geo_imports_only_the_ground_floor() -> None:
    """geo/ uses foundation/ and nothing else of ours."""
    for module, imported in _package_imports("geo").items():
        assert {m.split(".")[0] for m in _ours(imported)} <= {"geo", "foundation"}, module


def test_engine_never_imports_the_app_or_streamlit() -> None:
    """The engine knows nothing of the dashboard or the command line."""
    for module, imported in _package_imports("engine").items():
        roots = {m.split(".")[0] for m in imported}
        assert not roots & {"streamlit", "app", "cli", "pydeck"}, module


@pytest.mark.parametrize(
    ("party", "forbidden"),
    [
        ("engine/parties/airline.py", ("engine.parties.carrier", "engine.views", "load_carrier")),
        ("engine/parties/cohorts.py", ("engine.parties.carrier", "engine.views")),
        ("engine/parties/carrier.py", ("engine.parties.airline", "engine.parties.cohorts")),
        ("engine/parties/carrier_store.py", ("engine.parties.airline", "engine.parties.cohorts")),
        ("engine/parties/population.py", ("engine.parties.airline", "engine.parties.cohorts")),
    ],
)
def test_each_party_imports_nothing_of_the_other(party: str, forbidden: tuple[str, ...]) -> None:
    """The airline's modules never import the carrier's, and the reverse."""
    source = (ROOT / party).read_text(encoding="utf-8")
    imported = _imports(ROOT / party)
    for name in forbidden:
        assert not any(m.startswith(name) for m in imported), (party, name)
        assert f"import {name}" not in source


def test_the_facade_and_the_session_read_no_party_data() -> None:
    """engine/service.py and engine/session.py never load inputs: only the parties do."""
    for module in ("engine/service.py", "engine/session.py"):
        imported = _imports(ROOT / module)
        assert not any(m.startswith("engine.inputs") for m in imported), module
        source = (ROOT / module).read_text(encoding="utf-8")
        assert "load_airline" not in source and "load_carrier" not in source


def test_paillier_arithmetic_stays_in_engine_crypto() -> None:
    """Only engine/crypto imports gmpy2 or phe for ciphertext arithmetic (the parties call it)."""
    for package in ("engine", "app", "cli", "geo", "sample_data"):
        for module, imported in _package_imports(package).items():
            if module.startswith(("engine/crypto/", "engine/parties/")):
                continue
            assert "phe" not in imported, module
