"""Tests of the ``crossmesh mesh`` commands, run through typer's CliRunner on the main app."""

from __future__ import annotations

from fractions import Fraction

import pytest
from typer.testing import CliRunner

import cli.mesh  # noqa: F401  (registers the mesh sub-app on the main app)
from cli import app
from foundation.errors import InputError
from geo import mesh

runner = CliRunner()


def run(*args: str) -> str:
    """Invoke ``crossmesh mesh ARGS`` and return its output, failing on a non-zero exit."""
    result = runner.invoke(app, ["mesh", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_code_prints_the_cell_code() -> None:
    """``mesh code LAT LON --level`` prints Tokyo Station's code at the level asked."""
    assert run("code", "35.681236", "139.767125", "--level", "3") == "53394611\n"
    assert run("code", "35.681236", "139.767125", "-l", "half") == "533946113\n"


def test_bounds_prints_exact_edges() -> None:
    """``mesh bounds`` prints south west north east within 1e-12 of the exact edges."""
    south, west, north, east = (Fraction(value) for value in run("bounds", "533946").split())
    exact = (Fraction(107, 3), Fraction(559, 4), Fraction(143, 4), Fraction(1119, 8))
    for printed, true in zip((south, west, north, east), exact, strict=True):
        assert abs(printed - true) <= Fraction(1, 10**12)


def test_printed_bounds_round_trip_through_code() -> None:
    """The printed south-west corner, fed back to ``mesh code``, gives the same cell."""
    south, west, _, _ = run("bounds", "53394611323").split()
    assert run("code", south, west, "--level", "eighth") == "53394611323\n"


def test_children_neighbours_and_parent() -> None:
    """The walking commands print one code per line, as geo.mesh computes them."""
    assert run("children", "53394611").split() == mesh.children("53394611")
    assert run("neighbours", "533946").split() == mesh.neighbours("533946")
    assert run("parent", "53394611") == "533946\n"
    assert run("parent", "53394611", "--level", "1st") == "5339\n"


@pytest.mark.parametrize("command", ["code", "bounds", "parent", "children", "neighbours"])
def test_every_command_has_help(command: str) -> None:
    """Each command explains itself under --help."""
    output = run(command, "--help")
    assert "Usage:" in output and len(output.splitlines()) > 4


def test_bad_input_raises_input_error() -> None:
    """A bad code or an out-of-range point surfaces as InputError (main() turns it into exit 2)."""
    for args in (["bounds", "53398"], ["code", "70", "139"], ["code", "35", "139", "-l", "9"]):
        result = runner.invoke(app, ["mesh", *args])
        assert isinstance(result.exception, InputError)
