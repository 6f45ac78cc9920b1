"""An observer of the wire: no identifier, period, place or group label crosses, for every kind.

Every cross kind is released once in one recorded session and every message is scanned, field by
field, except the two texts that are public by design: the QueryRequest's ``spec`` (the question)
and ReleasePublished's ``release`` (the answer); those two are still scanned for phone numbers and
IDs. Forbidden: every phone number of both parties in every spelling (raw as in the CSV, E.164,
E.164 without ``+``, national with a leading 0), every member and subscriber ID, every date
(YYYY-MM-DD and YYYYMMDD) and month (YYYY-MM) from June to October 2025, every mesh code of the
study regions, every municipality code (study regions, subscribers' homes, donations), every
release label name and group label (day offsets' names, departure slot times, cohort names).
Ciphertexts must all lie in (n, n²): none is a plaintext. A population release sends nothing.

Random bytes can spell a token by chance. Binary fields (points, ciphertexts; ≈ 10 MB here) are
scanned raw for tokens of 6 bytes or more — about 4,000 tokens at ≤ 256⁻⁶ per offset, a false
failure below 1e-4 — and for shorter tokens (5-digit municipality codes, slot times, short label
words) only as they would appear when embedded in text: JSON-quoted, msgpack-framed or between
commas (≥ 6 bytes each, < 1e-4 together). Text and integer fields are checked for their exact
form (random hex tokens, counts). Overall false-failure probability < 1e-3.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from pathlib import Path
from types import ModuleType
from typing import Any

import msgpack
import pandas as pd
import pytest

from engine.inputs import load_airline, normalize_phone
from engine.queries import QuerySpec
from engine.views import SLOT_TIMES, view_families
from engine.wire.messages import decode_message
from geo.places import MUNICIPALITIES, REGIONS, region_domain

SPECS: dict[str, dict[str, Any]] = {
    "visit-map": {"airport": "SHM", "start": "2025-08-01", "end": "2025-08-12", "days": 3},
    "flows": {"airport": "SHM", "start": "2025-08-01", "end": "2025-08-12", "days": 3},
    "profile": {"airport": "SHM", "start": "2025-08-01", "end": "2025-08-12", "days": 2},
    "hourly": {"airport": "SHM", "start": "2025-08-01", "end": "2025-08-12", "days": 2},
    "repeat": {"airport": "SHM", "start": "2025-08-01", "end": "2025-08-12"},
    "furusato": {"municipality": "30401", "start": "2025-07-01", "end": "2025-08-31",
                 "months_after": 1},
    "preboarding": {"airport": "HND", "start": "2025-08-01", "end": "2025-08-05"},
    "hokkaido": {"start": "2025-08-01", "end": "2025-08-12", "days": 1},
}  # fmt: skip
KINDS = tuple(SPECS)
HEX_TOKEN = re.compile(r"[0-9a-f]{16,64}")
LABEL_NAMES = (
    "day_offset", "mesh_code", "municipality_code", "dimension", "category", "prior_bucket",
    "cohort", "donation_month", "month_offset", "cohort_keys", "half", "minutes_before",
    "location_class", "airport", "departure_slot", "donor", "comparison", "home", "elsewhere",
    "prior_visits", "demographic", "visited", "class_at",
)  # fmt: skip


@pytest.fixture(scope="module")
def wire(
    kit: ModuleType, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Per kind: the transcript entries of its release; and what a population release sent."""
    transcript = kit.Transcript()
    session = kit.open_world(tmp_path_factory.mktemp("wire"), tiny_dir, transcript)
    found: dict[str, Any] = {"n": int(session.airline.keys.public.n)}
    for kind, fields in SPECS.items():
        spec = QuerySpec(kind=kind, epsilon=1.0, **fields)
        before = len(transcript.entries)
        session.release(spec)
        found[kind] = transcript.entries[before:]
    before = len(transcript.entries)
    population = QuerySpec(
        kind="population", region="nanki_shirahama", start="2025-08-01", end="2025-08-03",
        epsilon=1.0,
    )  # fmt: skip
    found["population_rows"] = len(session.release(population).values)
    found["population_messages"] = len(transcript.entries) - before
    session.close()
    return found


def _raw(path: Path, column: str) -> list[str]:
    return pd.read_csv(path, dtype=str, keep_default_na=False)[column].tolist()


@pytest.fixture(scope="module")
def identifiers(tiny_dir: Path) -> set[bytes]:
    """Every phone spelling and every ID of both parties."""
    found: set[bytes] = set()
    for path in (tiny_dir / "airline" / "members.csv", tiny_dir / "carrier" / "subscribers.csv"):
        for raw in _raw(path, "phone"):
            found.add(raw.encode())
            try:
                e164 = normalize_phone(raw)
            except ValueError:
                continue
            found |= {e164.encode(), e164[1:].encode(), ("0" + e164[3:]).encode()}
    found |= {v.encode() for v in _raw(tiny_dir / "airline" / "members.csv", "member_id")}
    found |= {v.encode() for v in _raw(tiny_dir / "carrier" / "subscribers.csv", "subscriber_id")}
    found.discard(b"")
    assert min(len(token) for token in found) >= 8
    return found


@pytest.fixture(scope="module")
def forbidden(tiny_dir: Path, identifiers: set[bytes]) -> tuple[set[bytes], set[bytes]]:
    """(long tokens, short tokens) that must not cross outside the public texts."""
    tokens = set(identifiers)
    day = dt.date(2025, 6, 1)
    while day <= dt.date(2025, 10, 31):
        tokens |= {day.isoformat().encode(), day.strftime("%Y%m%d").encode()}
        day += dt.timedelta(days=1)
    tokens |= {f"2025-{month:02d}".encode() for month in range(6, 11)}
    tokens |= {code.encode() for region in REGIONS for code in region_domain(region)}
    codes = set(MUNICIPALITIES) | set(
        _raw(tiny_dir / "carrier" / "subscribers.csv", "home_municipality")
    )
    donations = load_airline(tiny_dir / "airline").donations
    codes |= set(donations["municipality_code"].astype(str))
    tokens |= {code.encode() for code in codes if code}
    tokens |= {name.encode() for name in LABEL_NAMES} | {t.encode() for t in SLOT_TIMES}
    tokens |= {family.name.encode() for family in view_families()}
    long = {t for t in tokens if len(t) >= 6}
    return long, tokens - long


PRINTABLE_RUN = re.compile(rb"[\x20-\x7e]{5,}")


class Scanner:
    """Finds forbidden tokens in binary blobs, fast: every token is printable ASCII.

    A token can only occur inside a run of printable bytes, and random bytes give few runs of five
    or more (37 % of bytes are printable), so only those runs are searched, by set look-ups.
    Long tokens are searched as they are; short ones JSON-quoted, between commas, or after their
    msgpack ``fixstr`` header (a non-printable byte just before the run).
    """

    def __init__(self, long: set[bytes], short: set[bytes]) -> None:
        self.short = short
        self.tokens = set(long)
        for token in short:
            self.tokens |= {b'"' + token + b'"', b"," + token + b","}
        self.lengths = sorted({len(token) for token in self.tokens})

    def leaked(self, blob: bytes) -> set[bytes]:
        """The tokens (long, or framed short) found in ``blob``."""
        found: set[bytes] = set()
        for match in PRINTABLE_RUN.finditer(blob):
            run, start = match.group(), match.start()
            for length in self.lengths:
                for offset in range(len(run) - length + 1):
                    if run[offset : offset + length] in self.tokens:
                        found.add(run[offset : offset + length])
            for token in self.short:
                header = start > 0 and blob[start - 1] == 0xA0 | len(token)
                if header and run.startswith(token):
                    found.add(token)
        return found


def _ciphertexts(message: Any) -> list[int]:
    width, blob = message.ciphertext_bytes, message.ciphertexts
    return [int.from_bytes(blob[i : i + width], "big") for i in range(0, len(blob), width)]


def _check_fields(message: Any, n: int) -> list[bytes]:
    """Check text and integer fields by form; return the binary fields to scan."""
    binary: list[bytes] = []
    for name, value in vars(message).items():
        if isinstance(value, bytes):
            binary.append(value)
        elif isinstance(value, tuple):
            assert all(isinstance(v, bytes) for v in value) or all(
                isinstance(v, int) for v in value
            ), name
            binary += [v for v in value if isinstance(v, bytes)]
        elif isinstance(value, str):
            if (message.kind, name) in {
                ("query_request", "spec"),
                ("release_published", "release"),
            }:
                continue
            if message.kind == "carrier_hello":  # the deployment's public data period
                assert ISO_DATE.fullmatch(value), f"carrier_hello.{name} is not a date"
                continue
            assert HEX_TOKEN.fullmatch(value), f"{message.kind}.{name} is not a random token"
        else:
            assert isinstance(value, int) and not isinstance(value, bool), name
            assert 0 <= value <= 1 << 20, f"{message.kind}.{name} = {value}"
    if message.kind in ("indicator_partition", "noised_sums"):
        values = _ciphertexts(message)
        assert values and all(n < value < n * n for value in values), "a plaintext-sized value"
    if message.kind == "airline_key":
        assert int.from_bytes(message.modulus, "big") == n
    return binary


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EXPECTED_ORDER = re.compile(
    r"(airline_key carrier_hello )?query_request query_accepted blinded_cohort reblinded_cohort "
    r"(scope_partition indicator_partition )+canary_challenge canary_opening "
    r"noised_sums release_published"
)


@pytest.mark.parametrize("kind", KINDS)
def test_wire_carries_nothing_identifying(
    kind: str,
    wire: dict[str, Any],
    forbidden: tuple[set[bytes], set[bytes]],
    identifiers: set[bytes],
) -> None:
    """No ID, phone, period, place or label crosses; ciphertexts are all above n."""
    entries = wire[kind]
    scanner = Scanner(*forbidden)
    assert EXPECTED_ORDER.fullmatch(" ".join(entry.kind for entry in entries))
    for entry in entries:
        message = decode_message(entry.payload)
        for blob in _check_fields(message, wire["n"]):
            leaked = scanner.leaked(blob)
            assert not leaked, f"{entry.kind} carries {sorted(leaked)[:5]}"
        if entry.kind in ("query_request", "release_published"):  # public texts: still no IDs
            text = (message.spec if entry.kind == "query_request" else message.release).encode()
            assert not [t for t in identifiers if t in text], f"{entry.kind} carries an ID"
        if entry.kind == "query_request":
            request = json.loads(message.spec)
            assert set(request) == {"spec", "policy"}
            assert request["spec"] == QuerySpec.from_canonical(request["spec"]).canonical()


def test_population_release_sends_nothing(wire: dict[str, Any]) -> None:
    """The carrier's own statistics never reach the airline: no message at all."""
    assert wire["population_rows"] > 0
    assert wire["population_messages"] == 0


def test_scanner_finds_planted_tokens(
    forbidden: tuple[set[bytes], set[bytes]], identifiers: set[bytes]
) -> None:
    """The scan is live: tokens planted in random bytes are found, random bytes alone are clean."""
    scanner = Scanner(*forbidden)
    noise = secrets.token_bytes(1 << 20)
    assert not scanner.leaked(noise)
    phone = min(t for t in identifiers if t.startswith(b"+81"))
    code = b"30401"
    framed = msgpack.packb(["x", code.decode()])
    for planted, token in ((phone, phone), (b'{"m": "30401"}', code), (framed, code)):
        blob = noise[:1000] + planted + noise[1000:2000]
        found = scanner.leaked(blob)
        assert token in found or any(token in f for f in found), planted


def test_no_indicator_randomiser_repeats_across_kinds(wire: dict[str, Any]) -> None:
    """Over every query of the session, no two indicators share ``c mod n`` (their randomiser)."""
    n = wire["n"]
    seen = [
        value % n
        for kind in KINDS
        for entry in wire[kind]
        if entry.kind == "indicator_partition"
        for value in _ciphertexts(decode_message(entry.payload))
    ]
    assert len(seen) > 10_000
    assert len(set(seen)) == len(seen)
