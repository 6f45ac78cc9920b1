"""What crosses between the parties: the v2 messages and the channel that carries them.

* :mod:`~engine.wire.messages` — the typed, versioned messages of protocol v2;
* :mod:`~engine.wire.channel` — the in-process channel of the embedded default and the
  transcript recorder that attack tests read.
"""
