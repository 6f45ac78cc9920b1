"""Attack-test kit: open a tiny two-party world, spy on a party, and know the truth omnisciently.

The attacks play one party (or an observer of the wire) against the other. They see only what that
party receives or holds; *this* module also plays the omniscient referee that knows the real
answer — from the carrier's prepared plaintext views and the airline's cohort — so that a test can
say how far the attacker's best guess is from the truth.

Test modules get the kit through the ``kit`` fixture (the suite imports with
``--import-mode=importlib``, so a helper module cannot be imported by name).

Spies (:class:`Spy`) patch the parties' methods while a module's queries run:

* ``noise[party]`` — every noise vector :meth:`NoiseMechanism.sample` drew, tagged by the party
  module that asked (``airline`` = ``N_A``, ``carrier`` = ``N_C``);
* ``decrypted`` — per query, what the airline decrypted (exact + ``N_C``), groups × slots;
* ``views[query_id]`` — per query, what a curious airline computes from the scope it receives:
  the scope points, the points raised to ``a_q`` and the cohort groups each position matched.

Scanning the wire: ``WIRE_SPECS`` (one query of every cross kind on the tiny world), the
``identifiers`` and ``forbidden`` fixtures (every phone spelling and ID; every date, month, mesh
and municipality code, label name and slot time of the study), :class:`Scanner` (finds them in
binary blobs) and :func:`check_fields` (the form of every text and integer field of a message),
shared by the transcript test and the test of the bytes between two node processes.

Keys are 1024-bit (the carrier is told to accept them here; the product refuses below 2048)
so that the whole folder runs in about a minute
on two cores; nothing tested here depends on the modulus size.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import numpy as np
import pandas as pd
import pytest

from engine.crypto.blinding import JoinKey, hash_many_to_group
from engine.crypto.preblind import PreBlinding
from engine.dp.mechanisms import NoiseMechanism
from engine.inputs import load_airline, normalize_phone
from engine.ledger.values import Scope
from engine.parties.airline import AirlineParty
from engine.parties.cohorts import build_cohort
from engine.queries import QuerySpec
from engine.queries.shapes import QueryShape, ScopeBlock, shape_of
from engine.session import PRODUCT_PREBLIND, SecureSession, SessionSettings
from engine.views import SLOT_TIMES, view_families
from engine.wire.channel import Transcript, TranscriptEntry
from engine.wire.messages import POINT_BYTES, Message, decode_message
from geo.places import MUNICIPALITIES, REGIONS, region_domain

KEY_BITS = 1024
BUDGET = 1e4
MONTHS = tuple(f"{year}-{month:02d}" for year in (2024, 2025, 2026) for month in range(1, 13))
EPOCH = dt.date(1970, 1, 1)


# -- the world -----------------------------------------------------------------------------------
def open_world(root: Path, tiny_dir: Path, transcript: Transcript | None = None) -> SecureSession:
    """A prepared session on the tiny world with large budgets on both ledgers (tests only).

    Both parties pre-blind as the product's service does (:mod:`engine.crypto.preblind`), so an
    attack on two queries can run its second one from points raised ahead
    (:func:`wait_preblinded`).
    """
    session = SecureSession(
        root,
        tiny_dir,
        SessionSettings(key_bits=KEY_BITS, min_peer_key_bits=KEY_BITS, preblind=PRODUCT_PREBLIND),
        transcript=transcript,
    )
    session.prepare()
    for ledger in (session.airline.ledger, session.carrier.ledger):
        for month in MONTHS:
            for pair in ("airline+carrier", "carrier"):
                ledger.set_budget(Scope(pair, month), BUDGET, "attack-test")
    return session


def wait_preblinded(session: SecureSession, seconds: float = 60.0) -> None:
    """Wait until both parties raised every point of their last query to the next scalar."""
    deadline = time.monotonic() + seconds
    parties = (session.airline.preblinder, session.carrier.preblinder)
    assert not any(party.paused for party in parties), "a finished query still holds a filler"
    while not all(party.ready for party in parties):
        assert time.monotonic() < deadline, "the pre-blinders did not finish"
        time.sleep(0.05)
    assert all(len(party) > 0 for party in parties), "nothing was pre-blinded"


@contextlib.contextmanager
def lookups() -> Iterator[list[int]]:
    """Per query and party, in order, how many of its own points came from the table made
    ahead (recorded when the party is done with the table)."""
    found: list[int] = []
    spent = PreBlinding.spent

    def recording(self: PreBlinding) -> PreBlinding:
        found.append(self.looked_up)
        return spent(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PreBlinding, "spent", recording)
        yield found


def visit_spec(start: str = "2025-08-01", end: str = "2025-08-12", **extra: Any) -> QuerySpec:
    """An SHM query of the tiny world (visit-map unless ``kind`` says otherwise)."""
    fields: dict[str, Any] = {"kind": "visit-map", "airport": "SHM", "days": 3, "epsilon": 1.0}
    fields.update(extra)
    return QuerySpec(start=start, end=end, **fields)


# -- reading the wire ----------------------------------------------------------------------------
def split_points(blob: bytes) -> list[bytes]:
    """The 32-byte points of a packed blob."""
    return [blob[i : i + POINT_BYTES] for i in range(0, len(blob), POINT_BYTES)]


def messages_of(entries: list[TranscriptEntry], kind: str) -> list[Any]:
    """The decoded messages of one kind, in order."""
    return [decode_message(entry.payload) for entry in entries if entry.kind == kind]


def query_entries(transcript: Transcript, query_id: str) -> list[TranscriptEntry]:
    """The entries of one query (every v2 message but the key carries its query id)."""
    found = []
    for entry in transcript.entries:
        message: Message = decode_message(entry.payload)
        if getattr(message, "query_id", None) == query_id:
            found.append(entry)
    return found


def last_query_id(transcript: Transcript) -> str:
    """The id of the last query request on the wire."""
    return str(messages_of(transcript.entries, "query_request")[-1].query_id)


# -- scanning the wire ---------------------------------------------------------------------------
WIRE_SPECS: dict[str, dict[str, Any]] = {
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
HEX_TOKEN = re.compile(r"[0-9a-f]{16,64}")
LABEL_NAMES = (
    "day_offset", "mesh_code", "municipality_code", "dimension", "category", "prior_bucket",
    "cohort", "donation_month", "month_offset", "cohort_keys", "half", "minutes_before",
    "location_class", "airport", "departure_slot", "donor", "comparison", "home", "elsewhere",
    "prior_visits", "demographic", "visited", "class_at",
)  # fmt: skip
PUBLIC_TEXTS = {  # the questions and the answers, public by design: scanned for IDs only
    ("query_request", "spec"),
    ("release_published", "release"),
    ("population_request", "spec"),
    ("population_release", "release"),
    ("population_budget_ask", "spec"),
    ("population_reopened", "release"),
}
CARRIER_SCOPE = re.compile(r"carrier@\d{4}-\d{2}")
LIST_SUMMARY = re.compile(r"population [a-z_]+")
CONTROL_TEXTS = {
    ("step_request", "step"): re.compile(r"scope|canary_challenge|noised_sums"),
    ("query_abandoned", "reason"): re.compile(r"[A-Za-z ':.,()-]{0,120}"),
}


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def raw_column(path: Path, column: str) -> list[str]:
    return pd.read_csv(path, dtype=str, keep_default_na=False)[column].tolist()


@pytest.fixture(scope="module")
def identifiers(tiny_dir: Path) -> set[bytes]:
    """Every phone spelling and every ID of both parties."""
    found: set[bytes] = set()
    for path in (tiny_dir / "airline" / "members.csv", tiny_dir / "carrier" / "subscribers.csv"):
        for raw in raw_column(path, "phone"):
            found.add(raw.encode())
            try:
                e164 = normalize_phone(raw)
            except ValueError:
                continue
            found |= {e164.encode(), e164[1:].encode(), ("0" + e164[3:]).encode()}
    found |= {v.encode() for v in raw_column(tiny_dir / "airline" / "members.csv", "member_id")}
    found |= {
        v.encode() for v in raw_column(tiny_dir / "carrier" / "subscribers.csv", "subscriber_id")
    }
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
        raw_column(tiny_dir / "carrier" / "subscribers.csv", "home_municipality")
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


def ciphertexts(message: Any) -> list[int]:
    width, blob = message.ciphertext_bytes, message.ciphertexts
    return [int.from_bytes(blob[i : i + width], "big") for i in range(0, len(blob), width)]


def check_fields(message: Any, n: int) -> list[bytes]:
    """Check text and integer fields by form; return the binary fields to scan."""
    binary: list[bytes] = []
    for name, value in vars(message).items():
        if isinstance(value, bytes):
            binary.append(value)
        elif (message.kind, name) in BUDGET_FIELDS:  # the carrier's budget: figures only
            BUDGET_FIELDS[message.kind, name](value)
        elif isinstance(value, tuple):
            assert all(isinstance(v, bytes) for v in value) or all(
                isinstance(v, int) for v in value
            ), name
            binary += [v for v in value if isinstance(v, bytes)]
        elif isinstance(value, str):
            if (message.kind, name) in PUBLIC_TEXTS:
                continue
            if (message.kind, name) in CONTROL_TEXTS:  # between two nodes: fixed words only
                assert CONTROL_TEXTS[message.kind, name].fullmatch(value), f"{message.kind}.{name}"
                continue
            if message.kind == "carrier_hello":  # the deployment's public data period
                assert ISO_DATE.fullmatch(value), f"carrier_hello.{name} is not a date"
                continue
            assert HEX_TOKEN.fullmatch(value), f"{message.kind}.{name} is not a random token"
        else:
            assert isinstance(value, int) and not isinstance(value, bool), name
            assert 0 <= value <= 1 << 20, f"{message.kind}.{name} = {value}"
    if message.kind in ("indicator_partition", "noised_sums"):
        values = ciphertexts(message)
        assert values and all(n < value < n * n for value in values), "a plaintext-sized value"
    if message.kind == "airline_key":
        assert int.from_bytes(message.modulus, "big") == n
    return binary


def _budget_scopes(scopes: tuple[Any, ...]) -> None:
    assert scopes and all(isinstance(s, str) and CARRIER_SCOPE.fullmatch(s) for s in scopes)


def _budget_figures(figures: tuple[Any, ...]) -> None:
    """ρ left: finite floats no larger than any budget the tests set — never a whole count."""
    assert figures and all(isinstance(r, float) and 0 <= r <= BUDGET for r in figures), figures


def _list_entries(entries: tuple[Any, ...]) -> None:
    """Per published population release: an id, its summary, a time, ε, δ, the public spec."""
    for number, summary, created, epsilon, delta, spec in entries:
        assert isinstance(number, int) and 0 < number <= 1 << 20
        assert LIST_SUMMARY.fullmatch(summary), summary
        assert dt.datetime.fromisoformat(created).tzinfo is not None
        assert isinstance(epsilon, float) and isinstance(delta, float)
        assert set(json.loads(spec)) <= set(QuerySpec.__dataclass_fields__), "not a spec"


BUDGET_FIELDS: dict[tuple[str, str], Callable[[Any], None]] = {
    ("population_budget", "scopes"): _budget_scopes,
    ("population_budget", "remaining_rho"): _budget_figures,
    ("population_list", "entries"): _list_entries,
}


def assert_clean(message: Any, scanner: Scanner, identifiers: set[bytes], n: int) -> None:
    """No forbidden token in any binary field, every other field of its form, and the two public
    texts (the question, the answer) without an ID or a phone number."""
    for blob in check_fields(message, n):
        leaked = scanner.leaked(blob)
        assert not leaked, f"{message.kind} carries {sorted(leaked)[:5]}"
    texts = [getattr(message, name) for kind, name in PUBLIC_TEXTS if message.kind == kind]
    if message.kind == "population_list":  # the public specs of published releases
        texts += [entry[5] for entry in message.entries]
    for text in texts:
        assert not [t for t in identifiers if t in text.encode()], f"{message.kind} carries an ID"


# -- recording between two node processes --------------------------------------------------------
@dataclass(frozen=True)
class Body:
    """One message body as the airline's gRPC stub sent or received it."""

    method: str
    direction: str  # "request" (airline → carrier) or "response"
    payload: bytes


class MessageRecorder(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
):
    """A client interceptor that records every request and response body of every call."""

    def __init__(self) -> None:
        self.bodies: list[Body] = []
        self._lock = threading.Lock()

    def add(self, method: str, direction: str, payload: bytes) -> None:
        """Record one body."""
        with self._lock:
            self.bodies.append(Body(method.rsplit("/", 1)[-1], direction, payload))

    def _on_done(self, method: str) -> Callable[[Any], None]:
        def done(outcome: Any) -> None:
            if outcome.exception() is None:
                self.add(method, "response", outcome.result())

        return done

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        self.add(details.method, "request", request)
        outcome = continuation(details, request)
        outcome.add_done_callback(self._on_done(details.method))
        return outcome

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        self.add(details.method, "request", request)
        return _RecordedStream(continuation(details, request), self, details.method)

    def intercept_stream_unary(
        self, continuation: Any, details: Any, request_iterator: Iterator[bytes]
    ) -> Any:
        def recorded() -> Iterator[bytes]:
            for request in request_iterator:
                self.add(details.method, "request", request)
                yield request

        outcome = continuation(details, recorded())
        outcome.add_done_callback(self._on_done(details.method))
        return outcome


class _RecordedStream:
    """A response stream that records each message as it is read (the call's other methods —
    ``cancel`` above all — pass through)."""

    def __init__(self, call: Any, recorder: MessageRecorder, method: str) -> None:
        self._call, self._recorder, self._method = call, recorder, method

    def __iter__(self) -> _RecordedStream:
        return self

    def __next__(self) -> bytes:
        payload: bytes = next(self._call)
        self._recorder.add(self._method, "response", payload)
        return payload

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


@dataclass
class Connection:
    """The raw bytes of one TCP connection through the relay, each direction in order."""

    upstream: bytearray = field(default_factory=bytearray)  # airline → carrier
    downstream: bytearray = field(default_factory=bytearray)  # carrier → airline


class SocketRelay:
    """A TCP relay on 127.0.0.1 that forwards to ``target`` and records every byte it forwards.

    The airline connects to :attr:`address` instead of the carrier node; one thread per
    connection and direction copies the bytes as they come.
    """

    def __init__(self, target: str) -> None:
        host, _, port = target.rpartition(":")
        self.target = (host, int(port))
        self.connections: list[Connection] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, name="relay", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self.target)
            recorded = Connection()
            self.connections.append(recorded)
            for source, sink, into in (
                (client, server, recorded.upstream),
                (server, client, recorded.downstream),
            ):
                threading.Thread(
                    target=_pump, args=(source, sink, into), name="relay-pump", daemon=True
                ).start()

    def close(self) -> None:
        """Stop accepting connections (those open end with their peers)."""
        self._listener.close()


def _pump(source: socket.socket, sink: socket.socket, into: bytearray) -> None:
    """Copy ``source`` to ``sink``, recording, until either side closes."""
    try:
        while chunk := source.recv(1 << 16):
            into += chunk
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
        source.close()  # each socket is the source of one pump: closed once


# -- the omniscient referee ----------------------------------------------------------------------
def _block_records(session: SecureSession, shape: QueryShape, block: ScopeBlock) -> Any:
    """The carrier's stored records of one scope block (read straight from its view store)."""
    stored = session.carrier.store.read(shape.family.name, block.month)
    if block.first_day is None:
        return stored
    first = (dt.date.fromisoformat(f"{block.month}-{block.first_day:02d}") - EPOCH).days
    last = (dt.date.fromisoformat(f"{block.month}-{block.last_day:02d}") - EPOCH).days
    return stored.select(np.flatnonzero((stored.days >= first) & (stored.days <= last)))


def scope_records(session: SecureSession, spec: QuerySpec) -> dict[bytes, np.ndarray]:
    """``H(k)`` → compact payload slots of every carrier record in the query's scope."""
    shape = shape_of(spec)
    compact = np.full(shape.family.size, -1, dtype=np.int64)
    compact[shape.slots] = np.arange(len(shape.slots))
    records: dict[bytes, np.ndarray] = {}
    for block in shape.scope:
        stored = _block_records(session, shape, block)
        for row in range(len(stored)):
            mapped = compact[stored.indices[stored.indptr[row] : stored.indptr[row + 1]]]
            point = stored.point(row)
            assert point not in records, "the carrier holds two records with one key"
            records[point] = mapped[mapped >= 0]
    return records


def scope_record_count(session: SecureSession, spec: QuerySpec) -> dict[str, int]:
    """True records per scope block (block key → count)."""
    shape = shape_of(spec)
    return {b.key: len(_block_records(session, shape, b)) for b in shape.scope}


def cohort_points(session: SecureSession, spec: QuerySpec) -> list[dict[bytes, tuple[str, str]]]:
    """Per group of the airline's cohort: ``H(k)`` → the key ``(phone, period)``."""
    shape = shape_of(spec)
    cohort = build_cohort(shape, session.airline.inputs)
    groups = []
    for group in cohort.groups:
        keys = sorted(group.keys)
        hashed = hash_many_to_group(
            [JoinKey(shape.family.name, phone, period) for phone, period in keys], workers=2
        )
        groups.append(dict(zip(hashed, keys, strict=True)))
    return groups


def real_matches(session: SecureSession, spec: QuerySpec) -> list[int]:
    """Per group: how many cohort keys the carrier holds a scope record of (the secret count)."""
    records = scope_records(session, spec)
    return [sum(point in records for point in group) for group in cohort_points(session, spec)]


def exact_sums(session: SecureSession, spec: QuerySpec) -> np.ndarray:
    """The exact groups × slots sums the protocol computes under encryption (no noise)."""
    shape = shape_of(spec)
    records = scope_records(session, spec)
    values = np.zeros((shape.groups, shape.vector_length()), dtype=np.int64)
    for number, group in enumerate(cohort_points(session, spec)):
        for point in group:
            if point in records:
                values[number, records[point]] += 1
    return values


# -- spies ---------------------------------------------------------------------------------------
@dataclass
class AirlineView:
    """What a curious airline computes from one query's scope (it holds ``a_q``)."""

    scope: list[bytes] = field(default_factory=list)
    raised: list[bytes] = field(default_factory=list)
    groups: list[tuple[int, ...]] = field(default_factory=list)

    def match_counts(self, groups: int) -> list[int]:
        """Matched positions per group, as the airline counts them."""
        counts = [0] * groups
        for matched in self.groups:
            for group in matched:
                counts[group] += 1
        return counts

    def matched_points(self) -> set[bytes]:
        """The doubly blinded points that matched a cohort group."""
        return {p for p, g in zip(self.raised, self.groups, strict=True) if g}


@dataclass
class Spy:
    """Everything the patched methods recorded (see the module docstring)."""

    noise: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {"airline": [], "carrier": []}
    )
    decrypted: list[np.ndarray] = field(default_factory=list)
    views: dict[str, AirlineView] = field(default_factory=dict)


def _caller_party() -> str | None:
    """``airline`` or ``carrier``: which party's module asked for the noise."""
    frame = inspect.currentframe()
    for _ in range(8):
        if frame is None:
            break
        name = frame.f_globals.get("__name__", "")
        if name in ("engine.parties.airline", "engine.parties.carrier"):
            return str(name).rsplit(".", 1)[1]
        frame = frame.f_back
    return None


@pytest.fixture(scope="module")
def spy() -> Iterator[Spy]:
    """Install the spies for the whole module (its queries run in module-scoped fixtures)."""
    record = Spy()
    sample, decrypt, indicators = (
        NoiseMechanism.sample,
        AirlineParty._decrypt,
        AirlineParty.indicators,
    )

    def spy_sample(self: NoiseMechanism, length: int) -> np.ndarray:
        drawn = sample(self, length)
        party = _caller_party()
        if party is not None:
            record.noise[party].append(drawn.copy())
        return drawn

    def spy_decrypt(self: AirlineParty, query: Any, message: Any) -> np.ndarray:
        values = decrypt(self, query, message)
        record.decrypted.append(values.copy())
        return values

    def spy_indicators(self: AirlineParty, message: Any) -> Any:
        query = self._query(message.query_id)
        view = record.views.setdefault(message.query_id, AirlineView())
        points = split_points(message.points)
        raised = query.scalar.blind(points, workers=2)
        view.scope += points
        view.raised += raised
        view.groups += [query.matches.get(point, ()) for point in raised]
        return indicators(self, message)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(NoiseMechanism, "sample", spy_sample)
        patch.setattr(AirlineParty, "_decrypt", spy_decrypt)
        patch.setattr(AirlineParty, "indicators", spy_indicators)
        yield record


@pytest.fixture(scope="session")
def kit() -> ModuleType:
    """This module, for its helpers."""
    return sys.modules[__name__]
