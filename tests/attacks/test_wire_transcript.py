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

import json
import re
import secrets
from pathlib import Path
from types import ModuleType
from typing import Any

import msgpack
import pytest

from engine.queries import KINDS as ALL_KINDS
from engine.queries import QuerySpec
from engine.wire.messages import decode_message

KINDS = tuple(kind for kind in ALL_KINDS if kind != "population")  # the cross kinds


@pytest.fixture(scope="module")
def wire(
    kit: ModuleType, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Per kind: the transcript entries of its release; and what a population release sent."""
    transcript = kit.Transcript()
    session = kit.open_world(tmp_path_factory.mktemp("wire"), tiny_dir, transcript)
    found: dict[str, Any] = {"n": int(session.airline.keys.public.n)}
    for kind, fields in kit.WIRE_SPECS.items():
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


EXPECTED_ORDER = re.compile(
    r"(airline_key carrier_hello )?query_request query_accepted blinded_cohort reblinded_cohort "
    r"(scope_partition indicator_partition )+canary_challenge canary_opening "
    r"noised_sums release_published"
)


@pytest.mark.parametrize("kind", KINDS)
def test_wire_carries_nothing_identifying(
    kit: ModuleType,
    kind: str,
    wire: dict[str, Any],
    forbidden: tuple[set[bytes], set[bytes]],
    identifiers: set[bytes],
) -> None:
    """No ID, phone, period, place or label crosses; ciphertexts are all above n."""
    entries = wire[kind]
    scanner = kit.Scanner(*forbidden)
    assert EXPECTED_ORDER.fullmatch(" ".join(entry.kind for entry in entries))
    for entry in entries:
        message = decode_message(entry.payload)
        kit.assert_clean(message, scanner, identifiers, wire["n"])
        if entry.kind == "query_request":
            request = json.loads(message.spec)
            assert set(request) == {"spec", "policy"}
            assert request["spec"] == QuerySpec.from_canonical(request["spec"]).canonical()


def test_population_release_sends_nothing(wire: dict[str, Any]) -> None:
    """The carrier's own statistics never reach the airline: no message at all."""
    assert wire["population_rows"] > 0
    assert wire["population_messages"] == 0


def test_scanner_finds_planted_tokens(
    kit: ModuleType, forbidden: tuple[set[bytes], set[bytes]], identifiers: set[bytes]
) -> None:
    """The scan is live: tokens planted in random bytes are found, random bytes alone are clean."""
    scanner = kit.Scanner(*forbidden)
    noise = secrets.token_bytes(1 << 20)
    assert not scanner.leaked(noise)
    phone = min(t for t in identifiers if t.startswith(b"+81"))
    code = b"30401"
    framed = msgpack.packb(["x", code.decode()])
    for planted, token in ((phone, phone), (b'{"m": "30401"}', code), (framed, code)):
        blob = noise[:1000] + planted + noise[1000:2000]
        found = scanner.leaked(blob)
        assert token in found or any(token in f for f in found), planted


def test_no_indicator_randomiser_repeats_across_kinds(
    kit: ModuleType, wire: dict[str, Any]
) -> None:
    """Over every query of the session, no two indicators share ``c mod n`` (their randomiser)."""
    n = wire["n"]
    seen = [
        value % n
        for kind in KINDS
        for entry in wire[kind]
        if entry.kind == "indicator_partition"
        for value in kit.ciphertexts(decode_message(entry.payload))
    ]
    assert len(seen) > 10_000
    assert len(set(seen)) == len(seen)
