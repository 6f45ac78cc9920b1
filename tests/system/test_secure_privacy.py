"""What crosses between the parties, what each folder holds, opt-outs, damage and kills."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from engine.channel import Transcript
from engine.cohorts import Cohort, CohortGroup, arrival_cohort
from engine.errors import IntegrityError
from engine.inputs import load_airline, load_carrier, normalize_phone
from engine.messages import BlindedCohort, decode_message
from engine.protocol import SecureSession, SessionSettings
from engine.views import view_families
from geo.places import REGIONS, region_domain

SETTINGS = SessionSettings(workers=1, min_group_size=1, allow_unnoised_decryption=True)
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
def recorded(
    tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[SecureSession, Transcript]:
    """An ingested session whose every message was recorded, plus one query."""
    transcript = Transcript()
    session = SecureSession(tmp_path_factory.mktemp("ws"), SETTINGS, transcript=transcript)
    session.ingest(tiny_dir)
    airline = load_airline(tiny_dir / "airline")
    cohort = arrival_cohort(airline.members, airline.boardings, "SHM", START, END, days=3)
    session.encrypted_sums(cohort)
    return session, transcript


def test_transcript_carries_no_identifier_period_mesh_or_plaintext(
    recorded: tuple[SecureSession, Transcript], tiny_dir: Path
) -> None:
    """No message holds a phone number, an ID, a period key, a mesh code or a raw plaintext."""
    session, transcript = recorded
    family_names = {family.name for family in view_families()}
    binary, text = [], []
    for entry in transcript.entries:
        message = decode_message(entry.payload)
        for name, value in vars(message).items():
            (binary if isinstance(value, bytes) else text).append((name, value))
    for name, value in text:  # text fields: random tokens, family names, counts — nothing else
        values = value if isinstance(value, tuple) else (value,)
        for item in values:
            if isinstance(item, bytes):
                binary.append((name, item))
            elif isinstance(item, str):
                assert re.fullmatch(r"[0-9a-f]{24}|[0-9a-f]{64}", item) or item in family_names
            else:
                assert isinstance(item, int) and name.startswith("ciphertext")
    wire = b"\x00".join(value for _, value in binary)
    forbidden = _phone_spellings(tiny_dir) | _ids(tiny_dir, "airline") | _ids(tiny_dir, "carrier")
    days = pd.date_range("2025-07-01", "2025-09-30").strftime("%Y-%m-%d").tolist()
    forbidden |= {d.encode() for d in days} | {b"2025-07", b"2025-08", b"2025-09"}
    forbidden |= {code.encode() for region in REGIONS for code in region_domain(region)}
    leaked = [token for token in forbidden if token in wire]
    assert leaked == []
    n = session.carrier.keys.public.n
    for entry in transcript.entries:
        if entry.kind == "encrypted_partition":
            message = decode_message(entry.payload)
            width = message.ciphertext_bytes  # type: ignore[union-attr]
            blob = message.ciphertexts  # type: ignore[union-attr]
            values = [
                int.from_bytes(blob[i : i + width], "big") for i in range(0, len(blob), width)
            ]
            assert all(value > n for value in values), "a ciphertext that could be a plaintext"


def test_carrier_receives_only_receipts_and_padded_cohorts(
    recorded: tuple[SecureSession, Transcript],
) -> None:
    """The carrier gets receipts and padded groups of fresh points, never its own points back."""
    _, transcript = recorded
    kinds = {entry.kind for entry in transcript.received_by("carrier")}
    assert kinds == {"partition_receipt", "blinded_cohort"}
    sent_points = set()
    for entry in transcript.received_by("airline"):
        if entry.kind == "encrypted_partition":
            blob = decode_message(entry.payload).points  # type: ignore[union-attr]
            sent_points |= {blob[i : i + 32] for i in range(0, len(blob), 32)}
    for entry in transcript.received_by("carrier"):
        if entry.kind == "blinded_cohort":
            message = decode_message(entry.payload)
            assert isinstance(message, BlindedCohort)
            for group in message.groups:
                assert len(group) // 32 in {16, 32, 64, 128, 256, 512, 1024, 2048, 4096}
                assert not {group[i : i + 32] for i in range(0, len(group), 32)} & sent_points


def test_matching_does_not_change_what_the_carrier_sees(
    recorded: tuple[SecureSession, Transcript], tiny_dir: Path
) -> None:
    """A cohort of linked members and one of unlinked members look the same to the carrier."""
    session, _ = recorded
    links = pd.read_csv(tiny_dir / "truth" / "links.csv", dtype=str)
    airline = load_airline(tiny_dir / "airline")
    phones = airline.members.set_index("member_id")["phone_e164"]
    linked = [phones[m] for m in links["member_id"] if m in phones.index][:12]
    unlinked = [p for m, p in phones.items() if m not in set(links["member_id"])][:12]
    shapes = []
    for group_phones in (linked, unlinked):
        keys = frozenset((phone, day.isoformat()) for phone in group_phones for day in [START])
        cohort = Cohort("region:nanki_shirahama", (CohortGroup(("g",), keys),), ("group",))
        request, _ = session.airline.blind_cohort(cohort)
        shapes.append([len(group) for group in request.groups])
    assert shapes[0] == shapes[1]


def test_folders_hold_only_their_own_party_identifiers(
    recorded: tuple[SecureSession, Transcript], tiny_dir: Path
) -> None:
    """WS/airline holds no carrier ID or phone; WS/carrier holds no airline ID or phone."""
    session, _ = recorded
    airline_bytes = _folder_bytes(session.workspace.airline.root)
    carrier_bytes = _folder_bytes(session.workspace.carrier.root)
    phones = _phone_spellings(tiny_dir)
    assert [t for t in _ids(tiny_dir, "carrier") | phones if t in airline_bytes] == []
    assert [t for t in _ids(tiny_dir, "airline") | phones if t in carrier_bytes] == []


def test_key_files_are_private(recorded: tuple[SecureSession, Transcript]) -> None:
    """Every secret key file is mode 0600 inside a 0700 keys folder."""
    session, _ = recorded
    for folder in (session.workspace.airline, session.workspace.carrier):
        assert folder.keys.stat().st_mode & 0o777 == 0o700
        secrets = [p for p in folder.keys.iterdir() if "public" not in p.name]
        assert secrets
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in secrets)


def _copy_data(tiny_dir: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(tiny_dir, data)
    return data


def _person_cohort(phone: str) -> list[Cohort]:
    """One cohort per day family holding every day of the window for one phone number."""
    days = pd.date_range(START, END).strftime("%Y-%m-%d")
    keys = frozenset((phone, day) for day in days)
    return [
        Cohort(family.name, (CohortGroup(("person",), keys),), ("group",))
        for family in view_families()
        if family.period == "day"
    ]


def _person_total(session: SecureSession, phone: str) -> int:
    total = 0
    for cohort in _person_cohort(phone):
        sums = session.encrypted_sums(cohort)
        for ciphertexts in sums.ciphertexts:
            plaintexts = session.carrier.keys.decrypt_many(list(ciphertexts))
            total += sum(plaintexts)
    return total


def test_opt_out_removes_all_of_a_subscribers_contribution(tiny_dir: Path, tmp_path: Path) -> None:
    """Flipping one subscriber's opt-out flag removes every trace of them from every family."""
    data = _copy_data(tiny_dir, tmp_path)
    carrier = load_carrier(data / "carrier")
    busiest = carrier.observations["subscriber_id"].value_counts().index[0]
    subscribers = carrier.subscribers.set_index("subscriber_id")
    phone = str(subscribers.loc[busiest, "phone_e164"])
    session = SecureSession(tmp_path / "ws", SETTINGS)
    session.ingest(data)
    assert _person_total(session, phone) > 0

    raw = pd.read_csv(data / "carrier" / "subscribers.csv", dtype=str, keep_default_na=False)
    raw.loc[raw["subscriber_id"] == busiest, "opt_out"] = "1"
    raw.to_csv(data / "carrier" / "subscribers.csv", index=False)
    summary = session.ingest(data)
    assert summary.periods_encrypted > 0 and summary.periods_unchanged > 0
    assert _person_total(session, phone) == 0


def test_flipped_byte_in_a_stored_partition_is_detected(tiny_dir: Path, tmp_path: Path) -> None:
    """One flipped byte in the airline's stored partition stops the query with a clear error."""
    session = SecureSession(tmp_path / "ws", SETTINGS)
    session.ingest(tiny_dir)
    airline = load_airline(tiny_dir / "airline")
    cohort = arrival_cohort(airline.members, airline.boardings, "FUK", START, END, days=2)
    session.encrypted_sums(cohort)
    partitions = sorted((tmp_path / "ws" / "airline" / "partitions").rglob("*.part"))
    target = next(p for p in partitions if "fukuoka" in str(p) and p.stat().st_size > 2000)
    blob = bytearray(target.read_bytes())
    blob[len(blob) // 2] ^= 0x40
    target.write_bytes(bytes(blob))
    fresh = SecureSession(tmp_path / "ws", SETTINGS)
    with pytest.raises(IntegrityError, match="damaged"):
        for _ in range(3):  # the damaged partition may hold no match for one cohort
            fresh.encrypted_sums(cohort)
            fresh.airline._index_cache.clear()
            cohort = arrival_cohort(
                airline.members, airline.boardings, "FUK", START, END, days=3, max_trips=9
            )


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_killed_ingest_leaves_the_store_as_it_was(tiny_dir: Path, tmp_path: Path) -> None:
    """SIGKILL during an ingest of changed data: the manifest and airline sets stay unchanged."""
    data = _copy_data(tiny_dir, tmp_path)
    workspace = tmp_path / "ws"
    session = SecureSession(workspace, SETTINGS)
    session.ingest(data)
    before_carrier = _snapshot(workspace / "carrier")
    before_airline = _snapshot(workspace / "airline")

    raw = pd.read_csv(data / "carrier" / "subscribers.csv", dtype=str, keep_default_na=False)
    raw["opt_out"] = "0"  # changes many periods at once: a long ingest to interrupt
    raw.loc[::3, "opt_out"] = "1"
    raw.to_csv(data / "carrier" / "subscribers.csv", index=False)
    command = [sys.executable, "-m", "engine.cli", "ingest", "--data", str(data)]
    command += ["--workspace", str(workspace), "--workers", "1"]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    outbox = workspace / "carrier" / "outbox"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(outbox.glob("*.part")):
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL

    after_carrier = _snapshot(workspace / "carrier")
    orphans = {k for k in after_carrier if k.startswith("outbox/")} - set(before_carrier)
    assert {k: v for k, v in after_carrier.items() if k not in orphans} == before_carrier
    assert _snapshot(workspace / "airline") == before_airline
    summary = SecureSession(workspace, SETTINGS).ingest(data)
    assert summary.periods_encrypted > 0
    assert not any(outbox.glob("*.part"))
