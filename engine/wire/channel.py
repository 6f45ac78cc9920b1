"""The channel between the party environments, and the transcript recorder tests read.

In the embedded default both environments live in one process, but they still talk only through
:class:`Channel`: each message is encoded to bytes, recorded if a :class:`Transcript` is attached,
and decoded again for the receiver, so nothing but the serialised message crosses and a test can
inspect every byte either side received. Swapping this class for a socket or a queue is all it takes
to run the parties apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from engine.wire.messages import Message, decode_message, encode_message
from foundation.errors import ProtocolError

__all__ = ["Channel", "Transcript", "TranscriptEntry"]

PARTIES = ("airline", "carrier")
M = TypeVar("M", bound=Message)


@dataclass(frozen=True)
class TranscriptEntry:
    """One message as it crossed: who sent it, who received it, and its exact bytes."""

    sender: str
    receiver: str
    kind: str
    payload: bytes


@dataclass
class Transcript:
    """Every message that crossed a channel, in order."""

    entries: list[TranscriptEntry] = field(default_factory=list)

    def received_by(self, party: str) -> list[TranscriptEntry]:
        """The entries whose receiver is ``party``."""
        return [entry for entry in self.entries if entry.receiver == party]


class Channel:
    """Delivers serialised messages between the two parties, optionally recording them."""

    def __init__(self, transcript: Transcript | None = None) -> None:
        self.transcript = transcript

    def deliver(self, sender: str, receiver: str, message: M) -> M:
        """Serialise ``message``, record it, and hand the receiver a decoded copy of its type."""
        if {sender, receiver} != set(PARTIES):
            raise ValueError(f"a message goes between {PARTIES}, not {sender!r} → {receiver!r}")
        blob = encode_message(message)
        if self.transcript is not None:
            self.transcript.entries.append(TranscriptEntry(sender, receiver, message.kind, blob))
        received = decode_message(blob)
        if type(received) is not type(message):
            raise ProtocolError(f"a {message.kind} message arrived as {received.kind}")
        return received
