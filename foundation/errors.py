"""The one exception family of Crossmesh.

Every error Crossmesh raises on purpose derives from :class:`CrossmeshError`, so a caller (the CLI,
the dashboard) can catch the family and show its message as it is. Messages say what was wrong,
where (file, row, field, object) and what to do about it. They never carry a phone number, a member
or subscriber ID, a ciphertext-to-person link or an exact count.

::

    CrossmeshError
    ├── InputError        bad user input: a file, a row, a field, an argument, a mesh code
    ├── ConfigError       a workspace, key or setting that is missing or inconsistent
    ├── ProtocolError     a message that breaks the protocol (wrong type, size, order, party)
    ├── IntegrityError    stored data that fails its checksum, MAC or key fingerprint
    ├── BusyError         another process is writing the same party folder (its lock is held)
    ├── CryptoError       a cryptographic operation that cannot proceed (overflow, wrong key)
    ├── PeerError         the other party's node cannot be reached, refused us or timed out
    └── BudgetExceeded    a release the privacy-budget ledger refuses
"""

from __future__ import annotations

__all__ = [
    "BudgetExceeded",
    "BusyError",
    "ConfigError",
    "CrossmeshError",
    "CryptoError",
    "InputError",
    "IntegrityError",
    "PeerError",
    "ProtocolError",
]


class CrossmeshError(Exception):
    """Base of every error Crossmesh raises on purpose."""


class InputError(CrossmeshError, ValueError):
    """Bad user input. ``file``, ``row`` and ``field`` say where, when known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.field = field
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file is not None else "",
                f"row {row}" if row is not None else "",
                f"field {field!r}" if field is not None else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(CrossmeshError):
    """A workspace, key or setting is missing or inconsistent."""


class ProtocolError(CrossmeshError):
    """A message breaks the protocol: wrong type, size, order or party."""


class IntegrityError(CrossmeshError):
    """Stored data fails its checksum, its MAC or a key fingerprint, or cannot be read back."""


class BusyError(CrossmeshError):
    """A party folder is locked by another process; ``holder`` says who, when it is known."""

    def __init__(self, message: str, *, holder: str | None = None) -> None:
        self.holder = holder
        super().__init__(message)


class CryptoError(CrossmeshError):
    """A cryptographic operation cannot proceed (slot overflow, wrong key, bad point)."""


class PeerError(CrossmeshError):
    """The other party's node cannot be reached, refused this node's certificate, or timed out.

    A message the peer *did* send but which breaks the protocol is a :class:`ProtocolError`;
    this one says the conversation itself failed (a killed node, a firewall, a wrong certificate).
    """


class BudgetExceeded(CrossmeshError):
    """The privacy-budget ledger refuses a release; the message says what is left."""
