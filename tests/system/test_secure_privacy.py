"""What each party's folder holds, opt-outs, damage and kills (protocol v2, embedded session)."""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from engine.crypto.blinding import JoinKey, hash_to_group
from engine.inputs import load_carrier, normalize_phone
from engine.ledger.values import Scope
from engine.parties.policy import SideChannelPolicy
from engine.queries import QuerySpec
from engine.session import SecureSession, SessionSettings
from engine.views import view_families
from foundation.errors import IntegrityError

SETTINGS = SessionSettings(policy=SideChannelPolicy(match_rho=0.5, max_dummies_per_query=2000))
START, END = dt.date(2025, 8, 1), dt.date(2025, 8, 14)


def _raw_column(path: Path, column: str) -> list[str]:
    return pd.read_csv(path, dtype=str, keep_default_na=False)[column].tolist()


def _phone_spellings(tiny_dir: Path) -> set[bytes]:
    """Every phone number of both parties, as written and normalised, as bytes."""
    spellings: set[bytes] = set()
    for path in (tiny_dir / "airline" / "members.csv", tiny_dir / "carrier" / "subscribers.csv"):
        for raw in _raw_column(path, "phone"):
            spellings.add(raw.encode())
            try:
                e164 = normalize_phone(raw)
            except ValueError:
                continue
            spellings |= {e164.encode(), e164[1:].encode(), ("0" + e164[3:]).encode()}
    return {s for s in spellings if len(s) >= 8}


def _ids(tiny_dir: Path, party: str) -> set[bytes]:
    table, column = {
        "airline": ("members.csv", "member_id"),
        "carrier": ("subscribers.csv", "subscriber_id"),
    }[party]
    values = _raw_column(tiny_dir / party / table, column)
    return {v.encode() for v in values if len(v) >= 6}


def _folder_bytes(folder: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.fixture(scope="module")
def released(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SecureSession:
    """A prepared session that has made one release of every cross kind it can cheaply."""
    session = SecureSession(tmp_path_factory.mktemp("ws"), tiny_dir, SETTINGS)
    session.prepare()
    for ledger in (session.airline.ledger, session.carrier.ledger):
        for pair in ("airline+carrier", "carrier"):  # the airline's and the carrier's scopes
            ledger.set_budget(Scope(pair, "2025-08"), 10.0, "test")
    for kind in ("visit-map", "flows"):
        spec = QuerySpec(kind=kind, airport="SHM", start=START, end=END, epsilon=1.0)
        session.release(spec)
    return session


def test_folders_hold_only_their_own_party_identifiers(
    released: SecureSession, tiny_dir: Path
) -> None:
    """WS/airline holds no carrier ID or phone; WS/carrier holds no ID or phone of anyone."""
    airline_bytes = _folder_bytes(released.workspace.airline.root)
    carrier_bytes = _folder_bytes(released.workspace.carrier.root)
    phones = _phone_spellings(tiny_dir)
    assert [t for t in _ids(tiny_dir, "carrier") | phones if t in airline_bytes] == []
    # The carrier keeps its payloads in plaintext, but its keys only hashed to the group.
    leaked = _ids(tiny_dir, "airline") | _ids(tiny_dir, "carrier") | phones
    assert [t for t in leaked if t in carrier_bytes] == []


def test_key_files_are_private_and_the_carrier_keeps_no_key(released: SecureSession) -> None:
    """Every key file is mode 0600 in a 0700 folder; blinding scalars are never stored, and the
    carrier holds no key but its MAC key."""
    airline, carrier = released.workspace.airline, released.workspace.carrier
    assert airline.keys.stat().st_mode & 0o777 == 0o700
    key_files = sorted(p.name for p in airline.keys.iterdir())
    assert key_files == ["mac.key", "paillier_private.json", "paillier_public.json"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in airline.keys.iterdir())
    assert [p.name for p in carrier.keys.iterdir()] == ["mac.key"]
    primes = released.airline.keys.private
    carrier_bytes = _folder_bytes(carrier.root)
    for prime in (primes.p, primes.q):
        assert format(prime, "x").encode() not in carrier_bytes
        assert str(prime).encode() not in carrier_bytes


def _copy_data(tiny_dir: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(tiny_dir, data)
    return data


def _stored_points(session: SecureSession) -> set[bytes]:
    points: set[bytes] = set()
    for family in view_families():
        for month in session.carrier.store.months(family.name):
            stored = session.carrier.store.read(family.name, month)
            points |= {stored.point(row) for row in range(len(stored))}
    return points


def _person_points(phone: str) -> set[bytes]:
    days = pd.date_range(START, END).strftime("%Y-%m-%d")
    points = set()
    for family in view_families():
        periods = ["2025-08", "2025-09"] if family.period == "month" else list(days)
        points |= {hash_to_group(JoinKey(family.name, phone, p)) for p in periods}
    return points


def test_opt_out_removes_all_of_a_subscribers_contribution(tiny_dir: Path, tmp_path: Path) -> None:
    """Flipping one subscriber's opt-out flag removes every record of them from every family."""
    data = _copy_data(tiny_dir, tmp_path)
    carrier = load_carrier(data / "carrier")
    busiest = carrier.observations["subscriber_id"].value_counts().index[0]
    subscribers = carrier.subscribers.set_index("subscriber_id")
    phone = str(subscribers.loc[busiest, "phone_e164"])
    session = SecureSession(tmp_path / "ws", data, SETTINGS)
    session.prepare()
    assert _person_points(phone) & _stored_points(session)

    raw = pd.read_csv(data / "carrier" / "subscribers.csv", dtype=str, keep_default_na=False)
    raw.loc[raw["subscriber_id"] == busiest, "opt_out"] = "1"
    raw.to_csv(data / "carrier" / "subscribers.csv", index=False)
    session = SecureSession(tmp_path / "ws", data, SETTINGS)
    summary = session.prepare()
    assert summary.months_prepared > 0 and summary.months_unchanged > 0
    assert not _person_points(phone) & _stored_points(session)


def test_flipped_byte_in_a_stored_view_is_detected(tiny_dir: Path, tmp_path: Path) -> None:
    """One flipped byte in the carrier's stored view stops the next query, pointing to repair."""
    session = SecureSession(tmp_path / "ws", tiny_dir, SETTINGS)
    session.prepare()
    views = sorted((tmp_path / "ws" / "carrier" / "views").rglob("*.npz"))
    target = next(p for p in views if "fukuoka" in str(p))
    blob = bytearray(target.read_bytes())
    blob[len(blob) // 2] ^= 0x40
    target.write_bytes(bytes(blob))
    spec = QuerySpec(kind="flows", airport="FUK", start=START, end=END, epsilon=1.0)
    with pytest.raises(IntegrityError, match=r"fails its MAC.*crossmesh repair --party carrier"):
        session.release(spec)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


SLOW_PREPARE = """
import sys, time
import engine.parties.carrier_store as store
write = store.atomic_write_bytes
def slow(*args, **kwargs):
    write(*args, **kwargs)
    time.sleep(0.5)
store.atomic_write_bytes = slow
from cli import main
main(["prepare", "--data", sys.argv[1], "--workspace", sys.argv[2]])
"""


def test_killed_prepare_leaves_the_store_as_it_was(tiny_dir: Path, tmp_path: Path) -> None:
    """SIGKILL during a preparation of changed data: every stored file stays as it was."""
    data = _copy_data(tiny_dir, tmp_path)
    workspace = tmp_path / "ws"
    SecureSession(workspace, data, SETTINGS).prepare()
    before = _snapshot(workspace / "carrier" / "views")

    raw = pd.read_csv(data / "carrier" / "subscribers.csv", dtype=str, keep_default_na=False)
    raw["opt_out"] = "0"  # changes many months at once
    raw.loc[::3, "opt_out"] = "1"
    raw.to_csv(data / "carrier" / "subscribers.csv", index=False)
    # The child is `crossmesh prepare` whose file writes are slowed down (test only), so that the
    # kill lands between two month files, after some were replaced and before the manifest.
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_PREPARE, str(data), str(workspace)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    views = workspace / "carrier" / "views"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not set(_snapshot(views)) - set(before):
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    # Every month the manifest lists reads back intact, whether it is the old or the new one.
    store = SecureSession(workspace, data, SETTINGS).carrier.store
    for family, months in store.manifest().items():
        for month in months:
            store.read(family, month)
    untouched = {k: v for k, v in before.items() if (views / k).exists() and k != "manifest.json"}
    assert all((views / k).read_bytes() == v for k, v in untouched.items())
    summary = SecureSession(workspace, data, SETTINGS).prepare()
    assert summary.months_prepared > 0
    listed = {str(e["file"]) for months in store.manifest().values() for e in months.values()}
    assert {str(p.relative_to(views)) for p in views.rglob("*.npz")} == listed
