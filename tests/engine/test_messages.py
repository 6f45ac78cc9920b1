"""Messages: typed, validated on build, and round-tripped through the channel's bytes."""

from __future__ import annotations

import pytest

from engine.channel import Channel, Transcript
from engine.errors import ProtocolError
from engine.messages import (
    ActivePartitions,
    BlindedCohort,
    EncryptedPartition,
    decode_message,
    encode_message,
)


def test_round_trip_every_field() -> None:
    """Encoding then decoding gives an equal message."""
    message = EncryptedPartition("00ff", "depart", 2, 4, b"\x01" * 64, b"\x02" * 16)
    assert decode_message(encode_message(message)) == message


def test_partition_lengths_are_checked() -> None:
    """A partition whose ciphertext bytes do not fit its records is refused."""
    with pytest.raises(ProtocolError, match="expected"):
        EncryptedPartition("00ff", "depart", 2, 4, b"\x01" * 64, b"\x02" * 15)


def test_points_must_be_whole() -> None:
    """A group blob that is not a whole number of 32-byte points is refused."""
    with pytest.raises(ProtocolError):
        BlindedCohort("r1", (b"\x00" * 33,))


def test_garbage_is_a_protocol_error() -> None:
    """Bytes that are not a Crossmesh message raise ProtocolError, not a library error."""
    with pytest.raises(ProtocolError):
        decode_message(b"\xc1\x00garbage")


def test_channel_records_and_copies() -> None:
    """The channel records the exact bytes and hands over a decoded copy."""
    transcript = Transcript()
    channel = Channel(transcript)
    message = ActivePartitions("depart", ("aa", "bb"))
    received = channel.deliver("carrier", "airline", message)
    assert received == message
    assert transcript.entries[0].payload == encode_message(message)
    assert [e.receiver for e in transcript.received_by("airline")] == ["airline"]


def test_channel_only_between_the_parties() -> None:
    """Only airline ↔ carrier is a valid route."""
    with pytest.raises(ValueError):
        Channel().deliver("airline", "airline", ActivePartitions("depart", ()))
