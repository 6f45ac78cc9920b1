"""The typed messages of protocol v2 — and nothing else crosses between the parties.

Every message is a frozen dataclass validated when built, with a compact binary form (msgpack of
``[version, kind, fields]``). Points are 32-byte ed25519 encodings packed end to end; ciphertexts
are fixed-width big-endian integers packed end to end. No message has a field for an ID, a phone
number, a period key, a mesh code, a group label or a plaintext payload. Three carry text that is
public by construction: :class:`QueryRequest` the question being asked (its canonical query spec,
which both parties must read to agree on the noise and the scope), :class:`ReleasePublished`
the published release itself — the output both parties receive — and :class:`CarrierHello` the
first and last day of the carrier's data (deployment metadata, so that only periods inside the
data are asked for).

In the order of one query (DESIGN §3)::

    A → C  AirlineKey            A's Paillier modulus (once per session)
    C → A  CarrierHello          the first and last day of C's prepared observations (public)
    A → C  QueryRequest          query id, nonce, canonical spec
    C → A  QueryAccepted         C reserved its side of the budget
    A → C  BlindedCohort         per group, shuffled points H(k)^a (real, dummy, padding)
    C → A  ReblindedCohort       the same raised to c, shuffled within each group
    C → A  ScopePartition        the scope's points H(k)^c in fixed-size partitions
    A → C  IndicatorPartition    per scope position, Enc_A(one-hot group lanes) per piece
    C → A  CanaryChallenge       scope positions of canary dummies the airline must open
    A → C  CanaryOpening         the residues that open those indicators
    C → A  NoisedSums            per piece, Horner-packed per-slot sums + Enc_A(N_C)
    A → C  ReleasePublished      the release (exact + N_C + N_A, post-processed)

Between two nodes (:mod:`~engine.wire.grpc_link`) three small messages carry what an in-process
call carries in its arguments and return value: :class:`StepRequest` (A asks for C's next message
of a query: its scope, its canary challenge, its noised sums), :class:`QueryAbandoned` (either
side gives a query up; the reason is an exception's type name) and :class:`Acknowledged` (C took
a message that has no answer of its own).

A population release (the carrier's own statistic: its data, ledger and noise only) is one call:
:class:`PopulationRequest` (A → C: the public query spec) answered by :class:`PopulationRelease`
(C → A: the published release), and nothing else. Three read-only questions let the airline's
dashboard offer population releases as the carrier's ledger stands
(:mod:`engine.population_budget`); their answers are budget figures and published releases,
never a count::

    A → C  PopulationBudgetAsk   a population spec (public)
    C → A  PopulationBudget      ρ left per carrier scope it reads; its published release's id
    A → C  PopulationListAsk     (nothing)
    C → A  PopulationList        per published population release: id, summary, time, ε, δ, spec
    A → C  PopulationReopen      a release id from that list
    C → A  PopulationReopened    that published release (JSON)
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import msgpack

from foundation.errors import ProtocolError

__all__ = [
    "POINT_BYTES",
    "PROTOCOL_VERSION",
    "Acknowledged",
    "AirlineKey",
    "BlindedCohort",
    "CanaryChallenge",
    "CanaryOpening",
    "CarrierHello",
    "IndicatorPartition",
    "Message",
    "NoisedSums",
    "PopulationBudget",
    "PopulationBudgetAsk",
    "PopulationList",
    "PopulationListAsk",
    "PopulationRelease",
    "PopulationReopen",
    "PopulationReopened",
    "PopulationRequest",
    "QueryAbandoned",
    "QueryAccepted",
    "QueryRequest",
    "ReblindedCohort",
    "ReleasePublished",
    "ScopePartition",
    "StepRequest",
    "decode_message",
    "encode_message",
]

POINT_BYTES = 32
PROTOCOL_VERSION = 2


def _check_points(name: str, blob: bytes) -> None:
    if not isinstance(blob, bytes) or len(blob) % POINT_BYTES:
        raise ProtocolError(f"{name} must hold whole 32-byte points")


def _check_token(name: str, value: str) -> None:
    if not isinstance(value, str) or not 16 <= len(value) <= 64 or not value.isalnum():
        raise ProtocolError(f"{name} must be a random token of 16-64 letters and digits")


SPEC_CHARS = 16_384
MAX_SCOPES = 240  # months one population spec may read: far more than any window
SUMMARY_CHARS = 200
_CARRIER_SCOPE = re.compile(r"carrier@\d{4}-(0[1-9]|1[0-2])")


def _check_spec(name: str, text: object) -> None:
    if not isinstance(text, str) or len(text) > SPEC_CHARS:
        raise ProtocolError(f"{name} holds a query spec of at most 16 KiB")


def _check_release_id(name: str, value: object, *, none: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if none else 1):
        least = "0 (none) or more" if none else "1 or more"
        raise ProtocolError(f"{name}: a release id is a whole number, {least}, not {value!r}")


def _is_rho(value: object) -> bool:
    return isinstance(value, float) and math.isfinite(value) and value >= 0


@dataclass(frozen=True)
class AirlineKey:
    """A → C: the airline's Paillier public modulus ``n`` (big-endian)."""

    kind: ClassVar[str] = "airline_key"
    modulus: bytes

    def __post_init__(self) -> None:
        if len(self.modulus) < 128:
            raise ProtocolError(f"Paillier modulus too short: {len(self.modulus) * 8} bits")


@dataclass(frozen=True)
class CarrierHello:
    """C → A: the period of the carrier's prepared observations, ISO dates (empty: none).

    Public metadata of the deployment (the contract states it), so that the airline offers and
    asks only for periods inside both parties' data.
    """

    kind: ClassVar[str] = "carrier_hello"
    first_day: str
    last_day: str

    def __post_init__(self) -> None:
        for name in ("first_day", "last_day"):
            value = getattr(self, name)
            if not isinstance(value, str) or (value and not _is_iso_date(value)):
                raise ProtocolError(f"carrier hello: {name} must be an ISO date or empty")
        if bool(self.first_day) != bool(self.last_day) or self.last_day < self.first_day:
            raise ProtocolError("carrier hello: the period must be two dates, first ≤ last")


def _is_iso_date(text: str) -> bool:
    return len(text) == 10 and text[4] == text[7] == "-" and text.replace("-", "").isdigit()


@dataclass(frozen=True)
class QueryRequest:
    """A → C: a new query. ``spec`` is the canonical query spec (public), ``nonce`` fresh."""

    kind: ClassVar[str] = "query_request"
    query_id: str
    nonce: str
    spec: str

    def __post_init__(self) -> None:
        _check_token("query id", self.query_id)
        _check_token("nonce", self.nonce)


@dataclass(frozen=True)
class QueryAccepted:
    """C → A: the carrier checked the query and reserved its budget."""

    kind: ClassVar[str] = "query_accepted"
    query_id: str


@dataclass(frozen=True)
class _PointGroups:
    """Per cohort group, whole 32-byte points end to end."""

    query_id: str
    groups: tuple[bytes, ...]

    def __post_init__(self) -> None:
        for group in self.groups:
            _check_points("cohort group", group)


@dataclass(frozen=True)
class BlindedCohort(_PointGroups):
    """A → C (step 2): per group, the shuffled points ``H(k)^a`` (real, dummies, padding)."""

    kind: ClassVar[str] = "blinded_cohort"


@dataclass(frozen=True)
class ReblindedCohort(_PointGroups):
    """C → A (step 3): per group, ``H(k)^{ac}`` shuffled within the group."""

    kind: ClassVar[str] = "reblinded_cohort"


@dataclass(frozen=True)
class ScopePartition:
    """C → A (step 4): partition ``index`` of ``count`` of the shuffled scope points ``H(k)^c``."""

    kind: ClassVar[str] = "scope_partition"
    query_id: str
    index: int
    count: int
    points: bytes

    def __post_init__(self) -> None:
        _check_points("scope partition", self.points)
        if not 0 <= self.index < self.count:
            raise ProtocolError(f"scope partition {self.index} of {self.count}")

    @property
    def positions(self) -> int:
        """Scope positions in the partition."""
        return len(self.points) // POINT_BYTES


@dataclass(frozen=True)
class IndicatorPartition:
    """A → C (step 5): per position of scope partition ``index``, one ciphertext per piece."""

    kind: ClassVar[str] = "indicator_partition"
    query_id: str
    index: int
    pieces: int
    ciphertext_bytes: int
    ciphertexts: bytes

    def __post_init__(self) -> None:
        if self.pieces < 1 or self.ciphertext_bytes < 256:
            raise ProtocolError("indicators need at least one piece of 2048-bit ciphertexts")
        if len(self.ciphertexts) % (self.pieces * self.ciphertext_bytes):
            raise ProtocolError("indicator bytes are not whole positions")

    @property
    def positions(self) -> int:
        """Scope positions answered."""
        return len(self.ciphertexts) // (self.pieces * self.ciphertext_bytes)


@dataclass(frozen=True)
class CanaryChallenge:
    """C → A: open the indicators at these scope positions (C's canaries: dummies that match)."""

    kind: ClassVar[str] = "canary_challenge"
    query_id: str
    positions: tuple[int, ...]


@dataclass(frozen=True)
class CanaryOpening:
    """A → C: per challenged position and piece, the residue its indicator was encrypted with."""

    kind: ClassVar[str] = "canary_opening"
    query_id: str
    residue_bytes: int
    residues: bytes

    def __post_init__(self) -> None:
        if self.residue_bytes < 256 or len(self.residues) % self.residue_bytes:
            raise ProtocolError("canary openings must be whole fixed-width residues")


@dataclass(frozen=True)
class NoisedSums:
    """C → A (step 6): per piece, the packed slot sums with the carrier's noise, in one message."""

    kind: ClassVar[str] = "noised_sums"
    query_id: str
    ciphertext_bytes: int
    outputs_per_piece: tuple[int, ...]
    ciphertexts: bytes

    def __post_init__(self) -> None:
        expected = sum(self.outputs_per_piece) * self.ciphertext_bytes
        if len(self.ciphertexts) != expected:
            raise ProtocolError(
                f"noised sums: {len(self.ciphertexts)} ciphertext bytes, expected {expected}"
            )


@dataclass(frozen=True)
class ReleasePublished:
    """A → C (step 7): the published release (JSON), which the carrier records in its ledger."""

    kind: ClassVar[str] = "release_published"
    query_id: str
    release: str


STEPS = ("scope", "canary_challenge", "noised_sums")
REASON_CHARS = 120


@dataclass(frozen=True)
class StepRequest:
    """A → C (between nodes): send your next message of the query: one of :data:`STEPS`."""

    kind: ClassVar[str] = "step_request"
    query_id: str
    step: str

    def __post_init__(self) -> None:
        _check_token("query id", self.query_id)
        if self.step not in STEPS:
            raise ProtocolError(f"step must be one of {STEPS}, not {self.step!r}")


@dataclass(frozen=True)
class QueryAbandoned:
    """A → C (between nodes): the query is given up; ``reason`` is an exception's type name."""

    kind: ClassVar[str] = "query_abandoned"
    query_id: str
    reason: str

    def __post_init__(self) -> None:
        _check_token("query id", self.query_id)
        if not isinstance(self.reason, str) or not self.reason.isprintable():
            raise ProtocolError("an abandon reason must be printable text")
        if len(self.reason) > REASON_CHARS:
            raise ProtocolError(f"an abandon reason has at most {REASON_CHARS} characters")


@dataclass(frozen=True)
class Acknowledged:
    """C → A (between nodes): the carrier took a message that has no answer of its own."""

    kind: ClassVar[str] = "acknowledged"
    query_id: str


@dataclass(frozen=True)
class PopulationRequest:
    """A → C (between nodes): release a population statistic; ``spec`` is its canonical query
    spec (JSON, public)."""

    kind: ClassVar[str] = "population_request"
    query_id: str
    spec: str

    def __post_init__(self) -> None:
        _check_token("query id", self.query_id)
        _check_spec("a population request", self.spec)


@dataclass(frozen=True)
class PopulationRelease:
    """C → A (between nodes): the published population release (JSON): noised by the carrier,
    charged to the carrier's ledger alone."""

    kind: ClassVar[str] = "population_release"
    query_id: str
    release: str

    def __post_init__(self) -> None:
        _check_token("query id", self.query_id)
        if not isinstance(self.release, str):
            raise ProtocolError("a population release is JSON text")


@dataclass(frozen=True)
class PopulationBudgetAsk:
    """A → C (between nodes, read only): how the carrier's ledger stands for a population spec
    (its canonical JSON, public)."""

    kind: ClassVar[str] = "population_budget_ask"
    spec: str

    def __post_init__(self) -> None:
        _check_spec("a population budget question", self.spec)


@dataclass(frozen=True)
class PopulationBudget:
    """C → A: per carrier budget scope the spec reads (``carrier@YYYY-MM``), the ρ left; and the
    id of the spec's published release in the carrier's ledger (0: not released). Budget
    figures only: no field can hold a count."""

    kind: ClassVar[str] = "population_budget"
    scopes: tuple[str, ...]
    remaining_rho: tuple[float, ...]
    release_id: int

    def __post_init__(self) -> None:
        if not isinstance(self.scopes, tuple) or not 1 <= len(self.scopes) <= MAX_SCOPES:
            raise ProtocolError(f"a population budget names 1 to {MAX_SCOPES} scopes")
        if not isinstance(self.remaining_rho, tuple) or len(self.remaining_rho) != len(self.scopes):
            raise ProtocolError("a population budget gives one ρ per scope")
        for scope in self.scopes:
            if not isinstance(scope, str) or not _CARRIER_SCOPE.fullmatch(scope):
                raise ProtocolError(f"a population budget scope is carrier@YYYY-MM, not {scope!r}")
        if not all(_is_rho(rho) for rho in self.remaining_rho):
            raise ProtocolError("a population budget's ρ left are finite numbers ≥ 0")
        _check_release_id("a population budget", self.release_id, none=True)


@dataclass(frozen=True)
class PopulationListAsk:
    """A → C (between nodes, read only): the carrier's published population releases."""

    kind: ClassVar[str] = "population_list_ask"


@dataclass(frozen=True)
class PopulationList:
    """C → A: per published population release, oldest first, ``(release id, summary, created
    at, ε, δ, canonical spec JSON)`` — what a list of releases shows, not their values."""

    kind: ClassVar[str] = "population_list"
    entries: tuple[tuple[int, str, str, float, float, str], ...]

    def __post_init__(self) -> None:
        if not isinstance(self.entries, tuple):
            raise ProtocolError("a population list is a sequence of entries")
        for entry in self.entries:
            _check_entry(entry)


def _check_entry(entry: object) -> None:
    if not isinstance(entry, tuple) or len(entry) != 6:
        raise ProtocolError("a population list entry has six fields")
    release_id, summary, created_at, epsilon, delta, spec = entry
    _check_release_id("a population list entry", release_id)
    for name, text in (("summary", summary), ("created_at", created_at)):
        if not isinstance(text, str) or len(text) > SUMMARY_CHARS or not text.isprintable():
            raise ProtocolError(f"a population list entry's {name} is a short printable text")
    if not _is_rho(epsilon) or not _is_rho(delta) or not delta < 1:
        raise ProtocolError("a population list entry's ε and δ are numbers, δ below 1")
    _check_spec("a population list entry", spec)
    try:
        kind = json.loads(spec).get("kind")
    except (ValueError, AttributeError):
        kind = None
    if kind != "population":
        raise ProtocolError("a population list lists population releases only")


@dataclass(frozen=True)
class PopulationReopen:
    """A → C (between nodes, read only): published population release ``release_id`` again."""

    kind: ClassVar[str] = "population_reopen"
    release_id: int

    def __post_init__(self) -> None:
        _check_release_id("a population reopen", self.release_id)


@dataclass(frozen=True)
class PopulationReopened:
    """C → A: published population release ``release_id`` (JSON), as it was released."""

    kind: ClassVar[str] = "population_reopened"
    release_id: int
    release: str

    def __post_init__(self) -> None:
        _check_release_id("a reopened population release", self.release_id)
        if not isinstance(self.release, str):
            raise ProtocolError("a reopened population release is JSON text")


Message = (
    AirlineKey
    | QueryRequest
    | QueryAccepted
    | CarrierHello
    | BlindedCohort
    | ReblindedCohort
    | ScopePartition
    | IndicatorPartition
    | CanaryChallenge
    | CanaryOpening
    | NoisedSums
    | ReleasePublished
    | StepRequest
    | QueryAbandoned
    | Acknowledged
    | PopulationRequest
    | PopulationRelease
    | PopulationBudgetAsk
    | PopulationBudget
    | PopulationListAsk
    | PopulationList
    | PopulationReopen
    | PopulationReopened
)
_TYPES: dict[str, type[Any]] = {
    cls.kind: cls
    for cls in (
        AirlineKey,
        CarrierHello,
        QueryRequest,
        QueryAccepted,
        BlindedCohort,
        ReblindedCohort,
        ScopePartition,
        IndicatorPartition,
        CanaryChallenge,
        CanaryOpening,
        NoisedSums,
        ReleasePublished,
        StepRequest,
        QueryAbandoned,
        Acknowledged,
        PopulationRequest,
        PopulationRelease,
        PopulationBudgetAsk,
        PopulationBudget,
        PopulationListAsk,
        PopulationList,
        PopulationReopen,
        PopulationReopened,
    )
}


def encode_message(message: Message) -> bytes:
    """The message's binary form: msgpack of ``[version, kind, {field: value}]``."""
    body = {f.name: getattr(message, f.name) for f in fields(message)}
    return msgpack.packb([PROTOCOL_VERSION, message.kind, body], use_bin_type=True)


def decode_message(blob: bytes) -> Message:
    """Rebuild (and so re-validate) a message; refuse another protocol version."""
    try:
        version, kind, body = msgpack.unpackb(blob, raw=False, use_list=False)
        cls = _TYPES[kind]
    except (ValueError, KeyError, TypeError, msgpack.UnpackException) as err:
        raise ProtocolError(f"not a Crossmesh message ({type(err).__name__})") from err
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            f"the peer speaks protocol version {version}, this node speaks {PROTOCOL_VERSION}; "
            "upgrade the older node"
        )
    try:
        message: Message = cls(**body)
    except TypeError as err:
        raise ProtocolError(f"a {kind} message with unexpected fields") from err
    return message
