"""``verify`` and ``repair`` of a workspace, one party folder at a time.

:func:`verify_party` reads, and changes nothing: every key file against the fingerprint its
record (``workspace.json``, :mod:`engine.keyring`) holds, the record's own MAC, and for the
carrier every view file against its manifest entry (SHA-256 and MAC) and the manifest's MAC
(:mod:`engine.parties.carrier_store`). It holds the folder's lock shared, so it never reads a
half-switched manifest, and reports a running ``prepare`` as busy instead of as damage.

:func:`repair_party` holds the folder's lock exclusively and rebuilds what can be rebuilt from
the party's own inputs, saying what cannot:

* leftovers of a killed run (temporary files, view files no manifest lists) are removed;
* the carrier's damaged, missing or forged views are forgotten and built again from
  ``DATA/carrier`` — with a new MAC key first if the old one is lost (the key protects only the
  views, which are all rebuilt);
* a workspace made before key records existed has its existing keys adopted (fingerprints
  recorded, a MAC key made), never replaced;
* a lost or changed **Paillier key cannot be repaired**: releases already published stay valid,
  but the operator must restore ``WS/airline/keys`` from a backup or start a new workspace. The
  budget ledgers are never touched here — a new workspace over the same data must keep charging
  the same per-party ledgers (keyed by dataset identity), never a fresh one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.crypto.paillier import PRIVATE_KEY_FILE, PUBLIC_KEY_FILE
from engine.keyring import MAC_KEY_FILE, KeyRing
from engine.parties.carrier import CarrierParty
from engine.parties.carrier_store import ViewStore
from engine.workspace import PartyFolder, Workspace
from foundation.atomic import TMP_SUFFIX
from geo.areas import AreaMap

__all__ = ["PARTIES", "Finding", "RepairReport", "repair_party", "verify_party"]

PARTIES = ("airline", "carrier")


@dataclass(frozen=True)
class Finding:
    """One problem ``verify`` found: which party, which file, what is wrong."""

    party: str
    path: Path
    problem: str


@dataclass(frozen=True)
class RepairReport:
    """What ``repair`` did for one party, and what it could not do (with what to do instead)."""

    party: str
    done: tuple[str, ...]
    not_repaired: tuple[str, ...]


def verify_party(workspace: Workspace, party: str) -> tuple[Finding, ...]:
    """Every problem of ``party``'s folder (an empty tuple when it is clean); reads only."""
    folder = workspace.party(party)
    if not folder.root.is_dir():
        return (Finding(party, folder.root, f"{folder.root} is missing; run 'crossmesh prepare'"),)
    with folder.read_lock("verify"):
        return tuple(Finding(party, path, problem) for path, problem in _problems(folder, party))


def _problems(folder: PartyFolder, party: str) -> list[tuple[Path, str]]:
    ring = KeyRing(folder, party)
    found = [(p.path, p.problem) for p in ring.problems()]
    keys_ok = not found
    found += [(path, f"{path} is a leftover of a killed run") for path in _leftovers(folder)]
    if party == "airline" and keys_ok and not ring.recorded(PRIVATE_KEY_FILE):
        found.append((folder.keys, "no Paillier key pair yet; run 'crossmesh prepare'"))
    if party == "carrier" and not keys_ok:
        found.append((folder.path("views"), "views not checked: the MAC key is not usable"))
    elif party == "carrier":
        found += [(p.path, p.problem) for p in ViewStore(folder, ring).problems()]
    return found


def _leftovers(folder: PartyFolder) -> list[Path]:
    return sorted(
        path
        for where in (folder.root, folder.keys)
        if where.is_dir()
        for path in where.glob(f".*{TMP_SUFFIX}")
    )


def repair_party(
    workspace: Workspace, party: str, data_dir: Path | None, area_map: AreaMap | None
) -> RepairReport:
    """Rebuild what ``party``'s own inputs can rebuild; say what they cannot."""
    folder = workspace.party(party).ensure()
    done: list[str] = []
    with folder.lock("repair"):
        if gone := folder.remove_leftovers():
            done.append(f"removed {len(gone)} temporary file(s) left by a killed run")
        done += _adopt_unrecorded(folder, party)
        problems = [p.problem for p in KeyRing(folder, party).problems()]
        if party == "airline":
            return RepairReport(party, tuple(done), _airline_cannot(folder, problems))
        if problems:  # the carrier's record vouches for its MAC key only: start them afresh
            KeyRing(folder, party).record_path.unlink(missing_ok=True)
            (folder.keys / MAC_KEY_FILE).unlink(missing_ok=True)
            KeyRing(folder, party).adopt(())
            done.append(f"made a new MAC key ({problems[0]}); every view is rebuilt")
        return _repair_views(folder, data_dir, area_map, done)


def _adopt_unrecorded(folder: PartyFolder, party: str) -> list[str]:
    """Record the keys of a folder without ``workspace.json`` (an older workspace)."""
    ring = KeyRing(folder, party)
    if ring.record_path.exists():
        return []
    if party == "carrier":  # its MAC key protects only views, which are all rebuilt
        (folder.keys / MAC_KEY_FILE).unlink(missing_ok=True)
    if (folder.keys / MAC_KEY_FILE).exists():
        return []  # a record was lost, not an older workspace: reported, not repaired
    legacy = tuple(n for n in (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE) if (folder.keys / n).exists())
    ring.adopt(legacy)
    return [f"recorded the fingerprints of the existing keys {list(legacy)} and made a MAC key"]


def _repair_views(
    folder: PartyFolder, data_dir: Path | None, area_map: AreaMap | None, done: list[str]
) -> RepairReport:
    store = ViewStore(folder, KeyRing.open(folder, "carrier"))
    damaged = list(store.problems())
    if damaged:
        store.forget(damaged)
        done.append(f"forgot {len(damaged)} damaged, forged or leftover view file(s)")
    if data_dir is None or area_map is None:
        missing = ("views not rebuilt: give --data DATA",) if damaged else ()
        return RepairReport("carrier", tuple(done), missing)
    carrier = CarrierParty(Path(data_dir) / "carrier", folder)
    try:
        summary = carrier.prepare(area_map)
    finally:
        carrier.close()
        carrier.runner.close()
    done.append(f"rebuilt {summary.months_prepared} view month(s) from the carrier's inputs")
    return RepairReport("carrier", tuple(done), ())


def _airline_cannot(folder: PartyFolder, problems: list[str]) -> tuple[str, ...]:
    if not problems:
        return ()
    return (
        f"{'; '.join(problems)}. The airline's keys cannot be rebuilt: releases already "
        f"published stay valid, but restore {folder.keys} from a backup, or start a new "
        "workspace (its budget ledger must carry on, never be reset)",
    )
