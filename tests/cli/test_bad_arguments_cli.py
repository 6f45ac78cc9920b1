"""Every sub-command, given bad arguments, exits 2 with a message and never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

import cli
from cli import app, main

BAD_OUT = "/proc/crossmesh/x.csv"
PRINT = "ab" * 32
RELEASE = ["--query", "visit-map", "--epsilon", "1", "--out", "/tmp/crossmesh-x.csv"]


def command_paths() -> set[str]:
    """Every leaf command of the app, e.g. 'validate', 'mesh code', found from typer itself."""
    cli._register()

    def walk(command: object, prefix: tuple[str, ...]) -> set[str]:
        subcommands: dict[str, object] = getattr(command, "commands", {})
        if subcommands:  # a group (typer vendors its own click, so no isinstance)
            return set().union(*(walk(sub, (*prefix, name)) for name, sub in subcommands.items()))
        return {" ".join(prefix)}

    return walk(typer.main.get_command(app), ())


def bad_arguments(missing: Path) -> dict[str, list[list[str]]]:
    """Bad argument vectors per command; a new command must be added here to pass."""
    gone = str(missing)
    here = str(missing.parent)
    node_folders = ["--workspace", str(missing.parent / "ws"), "--certs", here]
    airline_peers = [
        "--carrier", "127.0.0.1:50061", "--carrier-fingerprint", PRINT,
        "--dashboard-fingerprint", PRINT,
    ]  # fmt: skip
    return {
        "admin set-budget": [
            ["--workspace", gone, "--scope", "carrier@2025-08", "--rho", "1", "--yes"],
            ["--workspace", gone, "--scope", "airline-carrier@2025-08", "--rho", "1"],
            ["--workspace", gone, "--scope", "carrier@2025-08", "--rho", "-1"],
            ["--workspace", gone, "--scope", "carrier@2025-08", "--rho", "1", "--party", "x"],
        ],
        "airline serve": [
            ["--data", gone, *node_folders, *airline_peers],
            ["--data", here, *node_folders, *airline_peers[:3], "xyz", *airline_peers[4:]],
            ["--data", here, *node_folders, *airline_peers, "--listen", "nowhere"],
            ["--data", here, *node_folders, "--carrier", "nowhere", *airline_peers[2:]],
            ["--data", here, *node_folders, *airline_peers],  # no certificates there
        ],
        "audit": [["--workspace", gone], ["--workspace", gone, "--limit", "0"]],
        "bench": [["--data", gone], ["--quick", "extra"]],
        "budget": [["--workspace", gone], ["--workspace", gone, "--set-total", "1"]],
        "carrier serve": [
            ["--data", gone, *node_folders, "--peer-fingerprint", PRINT],
            ["--data", here, *node_folders, "--peer-fingerprint", "xyz"],
            ["--data", here, *node_folders, "--peer-fingerprint", PRINT, "--listen", "nowhere"],
            ["--data", here, *node_folders, "--peer-fingerprint", PRINT],  # no certificates there
        ],
        "certs": [["--out", BAD_OUT], ["extra"]],
        "demo": [["--port", "0"], ["--root", BAD_OUT], ["--seed", "-1"], ["extra"]],
        "generate": [["--scale", "huge"], ["--out", BAD_OUT], ["--seed", "-1"]],
        "geo airports": [["extra"]],
        "geo import": [[gone], [gone, "--out", BAD_OUT]],
        "geo regions": [["extra"]],
        "mesh bounds": [["12"], ["abcd"]],
        "mesh children": [["123"]],
        "mesh code": [["35", "139", "--level", "9"], ["north", "139"], ["95", "139"]],
        "mesh neighbours": [["5339461"]],
        "mesh parent": [["53394611", "--level", "zz"], ["5339"]],
        "prepare": [
            ["--data", gone],
            ["--data", str(missing.parent), "--workspace", "/proc/crossmesh/ws"],
            ["--data", str(missing.parent), "--key-bits", "7"],
        ],
        "release": [
            [*RELEASE, "--from", "2025/08/01"],
            [*RELEASE, "--to", "31.08.2025"],
            [*RELEASE[:-1], BAD_OUT],
            [*RELEASE[:-1], "/tmp/crossmesh-x.xlsx"],
            ["--query", "no-such-kind", "--epsilon", "1", "--out", "/tmp/crossmesh-x.csv"],
            [*RELEASE, "--level", "9", "--workspace", gone, "--data", gone],
            [*RELEASE, "--epsilon", "-1", "--workspace", gone, "--data", gone],
            [*RELEASE, "--resolution", "finest", "--workspace", gone, "--data", gone],
        ],
        "repair": [["--workspace", gone], ["--workspace", gone, "--party", "both-and-more"]],
        "verify": [["--workspace", gone], ["--party", "nobody", "--workspace", gone]],
        "validate": [[gone], [str(missing.parent), "--report", BAD_OUT], ["--show", "-1", gone]],
    }


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run ``crossmesh ARGV`` through :func:`cli.main`; return exit status and all output."""
    try:
        main(argv)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    else:
        code = 0
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_every_command_has_bad_argument_cases(tmp_path: Path) -> None:
    """The table below covers exactly the commands the app has, so new ones get cases."""
    assert set(bad_arguments(tmp_path / "missing")) == command_paths()


@pytest.mark.parametrize("command", sorted(command_paths()))
def test_bad_arguments_exit_2_without_traceback(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad vector, and an unknown option, gives exit 2 and a message, no traceback."""
    cases = bad_arguments(tmp_path / "missing")[command]
    words = command.split()
    for argv in [*cases, ["--no-such-option"]]:
        code, output = run([*words, *argv], capsys)
        assert code == 2, (command, argv, output)
        assert "Traceback" not in output, (command, argv, output)
        assert output.strip(), (command, argv)


def test_unexpected_errors_are_one_line_without_their_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug shows its type and place, exit 1, never its message (it may quote a phone)."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("+819012345678 broke it")

    monkeypatch.setattr(typer.Typer, "__call__", broken)
    code, output = run(["geo", "regions"], capsys)
    assert code == 1
    assert "ValueError" in output and "9012345678" not in output and "Traceback" not in output


@pytest.mark.parametrize(
    "argv",
    [
        ["release", *RELEASE, "--from", "2025/08/01"],
        ["release", *RELEASE[:-1], BAD_OUT],
        ["mesh", "code", "35", "139", "--level", "9"],
    ],
)
def test_the_installed_entry_point_shows_no_traceback(argv: list[str]) -> None:
    """Through ``python -m cli`` too: exit 2 and no traceback."""
    env = {**os.environ, "PYTHONPATH": str(Path(cli.__file__).resolve().parents[1])}
    env.pop("CROSSMESH_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-m", "cli", *argv], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_carrier_node_refuses_an_unencrypted_scheduler_off_this_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The carrier's products never go to a cluster over plain TCP: exit 2, what to do instead."""
    (tmp_path / "data" / "carrier").mkdir(parents=True)
    code, output = run(["certs", "--out", str(tmp_path / "certs")], capsys)
    assert code == 0, output
    argv = ["carrier", "serve", "--data", str(tmp_path / "data"), "--workspace",
            str(tmp_path / "ws"), "--certs", str(tmp_path / "certs"), "--peer-fingerprint",
            PRINT, "--scheduler", "tcp://10.0.0.5:8786"]  # fmt: skip
    code, output = run(argv, capsys)
    assert code == 2, output
    assert "unencrypted" in output and "tls://" in output and "Traceback" not in output
