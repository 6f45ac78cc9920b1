"""Where a party's ledgers live, and the dataset identity that names them.

A budget belongs to the *data*, not to a folder: preparing a second workspace over the same data
must not start a second budget. So each party names its ledger by a **dataset identity**, the
SHA-256 over the party pair's name, the party's name and, for every file of the party's own
input folder (sorted by relative path, dot-files skipped), its path and the SHA-256 of its bytes.
Each party computes it from its own inputs only; neither ever sees the other's.

The ledgers are kept in a per-party **ledger home**, independent of any workspace::

    $CROSSMESH_LEDGER_HOME/<party>/<dataset-id>.sqlite           if the variable is set
    $XDG_DATA_HOME/crossmesh/<party>/<dataset-id>.sqlite          else, if that is set
    ~/.local/share/crossmesh/<party>/<dataset-id>.sqlite          else
    …/<party>/keys/<dataset-id>.key                               the ledger's MAC key (0600)

Changed input bytes make a new dataset with a budget of its own (docs/threat-model.md says what
that allows). The release cache lives inside the dataset's ledger, which records and checks its
dataset identity, so a spec is never served a release computed on other data.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["LEDGER_HOME_ENV", "dataset_identity", "ledger_home", "ledger_path"]

LEDGER_HOME_ENV = "CROSSMESH_LEDGER_HOME"
_CHUNK = 1 << 20


def ledger_home() -> Path:
    """The folder holding every party's ledgers (see the module docstring for the order)."""
    chosen = os.environ.get(LEDGER_HOME_ENV)
    if chosen:
        return Path(chosen).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME")
    base = Path(data_home).expanduser() if data_home else Path.home() / ".local" / "share"
    return base / "crossmesh"


def ledger_path(party: str, dataset_id: str) -> Path:
    """The ledger file of ``party`` for the dataset ``dataset_id`` in the ledger home."""
    return ledger_home() / party / f"{dataset_id}.sqlite"


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def dataset_identity(party: str, pair: str, data_dir: Path) -> str:
    """The dataset identity of ``party``'s inputs in ``data_dir`` for the pair ``pair`` (hex)."""
    root = Path(data_dir)
    files = sorted(
        path
        for path in (root.rglob("*") if root.is_dir() else ())
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
    digest = hashlib.sha256(f"crossmesh-dataset-v1\0{pair}\0{party}\0".encode())
    for path in files:
        digest.update(f"{path.relative_to(root).as_posix()}\0{_file_digest(path)}\0".encode())
    return digest.hexdigest()
