"""The workspace: one folder per environment, and nothing shared between them.

::

    WS/
      airline/   keys/ (mac.key, Paillier key pair; files 0600) · workspace.json · .lock
                 ledger-anchor.json (which ledger, and its chain head)
      carrier/   keys/ (mac.key) · workspace.json · .lock · ledger-anchor.json
                 views/ (plaintext payloads, pre-hashed keys, MAC'd manifest)
                 period.json (first and last day of the prepared observations) · volumes.sqlite
                 queries.sqlite (a carrier node: the stamps of every query it accepted)

The ledgers themselves (budgets, releases, audit) live in each party's ledger home, one per
dataset (:mod:`engine.ledger.home`), so that a new workspace over the same data shares the budget.

Each party gets a :class:`PartyFolder` for its own directory only; it has no path to the other
party's folder. Blinding scalars are fresh per query and never stored. In the two-node set-up
each node has only its own folder.

**One writer at a time.** Whatever writes a party folder — ``prepare``, key creation, view
building, ``repair`` — holds the folder's exclusive lock (:meth:`PartyFolder.lock`,
:mod:`foundation.locks`); a second writer is refused at once with
:class:`~foundation.errors.BusyError`. A release reading the carrier's views holds the lock
shared (:meth:`PartyFolder.read_lock`) while it reads them, so a ``prepare`` cannot start under
it and it cannot start under a ``prepare``; an idle workspace blocks nobody. The keys and the
record vouching for them (``workspace.json``) are :mod:`engine.keyring`'s.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from foundation.atomic import remove_leftovers
from foundation.errors import ConfigError
from foundation.locks import folder_lock

__all__ = ["PartyFolder", "Workspace"]


@dataclass(frozen=True)
class PartyFolder:
    """One party's private folder inside a workspace."""

    root: Path

    @property
    def keys(self) -> Path:
        """Where the party keeps its secret keys (files mode 0600)."""
        return self.root / "keys"

    def ensure(self) -> PartyFolder:
        """Create the folder (mode 0700) and its keys folder if missing."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.keys.mkdir(exist_ok=True, mode=0o700)
        os.chmod(self.keys, 0o700)
        return self

    def path(self, *parts: str) -> Path:
        """A path inside this party's folder."""
        return self.root.joinpath(*parts)

    def lock(self, purpose: str) -> contextlib.AbstractContextManager[None]:
        """Hold this folder's exclusive lock (one writer); ``BusyError`` at once if it is taken."""
        return folder_lock(self.root, purpose)

    def read_lock(self, purpose: str) -> contextlib.AbstractContextManager[None]:
        """Hold this folder's lock shared (readers together, never under a writer)."""
        return folder_lock(self.root, purpose, exclusive=False)

    def remove_leftovers(self) -> list[Path]:
        """Delete temporary files a killed writer left in the folder and its keys (under lock)."""
        return remove_leftovers(self.root) + remove_leftovers(self.keys)


@dataclass(frozen=True)
class Workspace:
    """A workspace folder holding the airline's and the carrier's folders."""

    root: Path

    @classmethod
    def open(cls, root: Path, *, create: bool = True) -> Workspace:
        """Open (and by default create) the workspace at ``root``."""
        root = Path(root)
        if not create and not (root / "carrier").is_dir():
            raise ConfigError(
                f"{root} is not a Crossmesh workspace; run 'crossmesh prepare --workspace {root}'"
            )
        workspace = cls(root)
        if create:
            workspace.airline.ensure()
            workspace.carrier.ensure()
        return workspace

    @property
    def airline(self) -> PartyFolder:
        """The airline's folder."""
        return PartyFolder(self.root / "airline")

    @property
    def carrier(self) -> PartyFolder:
        """The carrier's folder."""
        return PartyFolder(self.root / "carrier")

    def party(self, name: str) -> PartyFolder:
        """The folder of party ``name`` (``airline`` or ``carrier``)."""
        if name not in ("airline", "carrier"):
            raise ConfigError(f"a party is 'airline' or 'carrier', not {name!r}")
        return PartyFolder(self.root / name)
