"""Messages: typed, versioned, validated on build, and round-tripped through the channel's bytes."""

from __future__ import annotations

import msgpack
import pytest

from engine.wire.channel import Channel, Transcript
from engine.wire.messages import (
    PROTOCOL_VERSION,
    BlindedCohort,
    IndicatorPartition,
    NoisedSums,
    PopulationBudget,
    PopulationBudgetAsk,
    PopulationList,
    PopulationListAsk,
    PopulationRelease,
    PopulationReopen,
    PopulationReopened,
    PopulationRequest,
    QueryAccepted,
    QueryRequest,
    ScopePartition,
    decode_message,
    encode_message,
)
from foundation.errors import ProtocolError

QUERY = "a" * 24


def test_round_trip_every_field() -> None:
    """Encoding then decoding gives an equal message."""
    message = IndicatorPartition(QUERY, 3, 2, 256, b"\x02" * 1024)
    assert decode_message(encode_message(message)) == message
    assert message.positions == 2


def test_sizes_are_checked() -> None:
    """Indicators and sums whose bytes do not fit their layout are refused."""
    with pytest.raises(ProtocolError, match="whole positions"):
        IndicatorPartition(QUERY, 0, 2, 256, b"\x02" * 300)
    with pytest.raises(ProtocolError, match="expected"):
        NoisedSums(QUERY, 256, (2, 1), b"\x00" * 256)
    with pytest.raises(ProtocolError, match="partition"):
        ScopePartition(QUERY, 4, 4, b"")


def test_points_must_be_whole() -> None:
    """A group blob that is not a whole number of 32-byte points is refused."""
    with pytest.raises(ProtocolError):
        BlindedCohort(QUERY, (b"\x00" * 33,))


def test_ids_are_random_tokens() -> None:
    """Query ids and nonces are alphanumeric tokens, so they cannot carry text."""
    with pytest.raises(ProtocolError):
        QueryRequest("visit map SHM", "b" * 32, "{}")


def test_garbage_and_other_versions_are_protocol_errors() -> None:
    """Bytes that are not a message, or a message of another version, raise ProtocolError."""
    with pytest.raises(ProtocolError):
        decode_message(b"\xc1\x00garbage")
    old = msgpack.packb([PROTOCOL_VERSION - 1, "query_accepted", {"query_id": QUERY}])
    with pytest.raises(ProtocolError, match="version"):
        decode_message(old)
    extra = msgpack.packb([PROTOCOL_VERSION, "query_accepted", {"query_id": QUERY, "x": 1}])
    with pytest.raises(ProtocolError, match="unexpected"):
        decode_message(extra)


def test_channel_records_and_copies() -> None:
    """The channel records the exact bytes and hands over a decoded copy."""
    transcript = Transcript()
    channel = Channel(transcript)
    message = QueryAccepted(QUERY)
    received = channel.deliver("carrier", "airline", message)
    assert received == message
    assert transcript.entries[0].payload == encode_message(message)
    assert [e.receiver for e in transcript.received_by("airline")] == ["airline"]


def test_channel_only_between_the_parties() -> None:
    """Only airline ↔ carrier is a valid route."""
    with pytest.raises(ValueError):
        Channel().deliver("airline", "airline", QueryAccepted(QUERY))


def test_population_messages_round_trip_and_are_checked() -> None:
    """A population request and its release cross as typed messages; a bad id is refused."""
    for message in (
        PopulationRequest(QUERY, '{"kind": "population"}'),
        PopulationRelease(QUERY, '{"values": []}'),
    ):
        assert decode_message(encode_message(message)) == message
    with pytest.raises(ProtocolError, match="random token"):
        PopulationRequest("short", "{}")
    with pytest.raises(ProtocolError, match="at most 16 KiB"):
        PopulationRequest(QUERY, "x" * 20_000)


POPULATION_SPEC = '{"kind": "population", "region": "nanki_shirahama"}'


def test_population_budget_messages_round_trip() -> None:
    """The three read-only questions and their answers cross as typed messages."""
    entry = (
        3,
        "population nanki_shirahama",
        "2025-08-04T00:00:00+00:00",
        1.0,
        0.0,
        POPULATION_SPEC,
    )
    for message in (
        PopulationBudgetAsk(POPULATION_SPEC),
        PopulationBudget(("carrier@2025-07", "carrier@2025-08"), (0.5, 0.125), 3),
        PopulationBudget(("carrier@2025-08",), (0.0,), 0),
        PopulationListAsk(),
        PopulationList((entry,)),
        PopulationList(()),
        PopulationReopen(3),
        PopulationReopened(3, '{"values": []}'),
    ):
        assert decode_message(encode_message(message)) == message


def test_a_population_budget_holds_budget_figures_only() -> None:
    """Carrier scopes, one finite ρ ≥ 0 each (never a whole number: no count fits), an id."""
    with pytest.raises(ProtocolError, match="carrier@YYYY-MM"):
        PopulationBudget(("airline+carrier@2025-08",), (0.5,), 0)
    with pytest.raises(ProtocolError, match="finite numbers"):
        PopulationBudget(("carrier@2025-08",), (1234,), 0)  # type: ignore[arg-type]
    with pytest.raises(ProtocolError, match="finite numbers"):
        PopulationBudget(("carrier@2025-08",), (float("nan"),), 0)
    with pytest.raises(ProtocolError, match="one ρ per scope"):
        PopulationBudget(("carrier@2025-08",), (0.5, 0.5), 0)
    with pytest.raises(ProtocolError, match="1 to"):
        PopulationBudget((), (), 0)
    with pytest.raises(ProtocolError, match="release id"):
        PopulationBudget(("carrier@2025-08",), (0.5,), -1)


def test_a_population_list_lists_population_releases_only() -> None:
    """An entry of another kind, of the wrong shape, or with odd fields is refused."""
    good = (3, "population nanki_shirahama", "2025-08-04T00:00:00+00:00", 1.0, 0.0, POPULATION_SPEC)
    with pytest.raises(ProtocolError, match="population releases only"):
        PopulationList(((*good[:5], '{"kind": "visit-map"}'),))
    with pytest.raises(ProtocolError, match="six fields"):
        PopulationList((good[:5],))  # type: ignore[arg-type]
    with pytest.raises(ProtocolError, match="release id"):
        PopulationList(((0, *good[1:]),))
    with pytest.raises(ProtocolError, match="printable"):
        PopulationList(((good[0], "x" * 300, *good[2:]),))
    with pytest.raises(ProtocolError, match="δ below 1"):
        PopulationList(((*good[:4], 1.5, good[5]),))
    with pytest.raises(ProtocolError, match="release id"):
        PopulationReopen(0)
