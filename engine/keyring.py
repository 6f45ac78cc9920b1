"""A party's long-lived keys and the record that vouches for them, ``WS/<party>/workspace.json``.

Each party keeps its secret keys in ``WS/<party>/keys/`` (mode 0700, files 0600):

* ``mac.key`` — 32 random bytes, the party's key for HMAC-SHA256 over what it stores where
  tampering would change results (the carrier's view files and their manifest, this record);
* the airline's Paillier key pair, ``paillier_private.json`` and ``paillier_public.json``.

Blinding scalars are fresh per query and never stored, so there are no blinding key files.

**Why a record.** A key that silently changes is worse than one that is lost: a regenerated
Paillier key makes every ciphertext and cached value of the old one meaningless while the ledger
still says what was spent; a replaced MAC key makes tampered views look genuine. So the record
lists every key file with its SHA-256 fingerprint, signed with the MAC key, and every open of the
party (:meth:`KeyRing.open`) checks it: a key file missing, edited by one byte or replaced by
another valid key is an :class:`~foundation.errors.IntegrityError`, never a reason to make a new
one.

**Keys are made once, in an empty folder.** The record is born only in a folder holding nothing
yet (no views, ledger or keys); a folder with data but no record is refused. Each key is created
exclusively (:func:`foundation.atomic.create_exclusive`) under the folder's lock, and the record
names it as ``creating`` *before* it is written, so that a creation killed half-way is recognised
and finished on the next run: the files it names were never recorded, so nothing can depend on
them. ``crossmesh repair`` may adopt the keys of a workspace made before records existed
(:meth:`KeyRing.adopt`), and may give the carrier a new MAC key (its views are all rebuilt from
its inputs); nothing else ever makes a key in a folder that already has one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.workspace import PartyFolder
from foundation.atomic import TMP_SUFFIX, atomic_write_text, create_exclusive
from foundation.errors import ConfigError, IntegrityError
from foundation.faults import fault_point
from foundation.locks import LOCK_FILE

__all__ = ["MAC_KEY_FILE", "RECORD_FILE", "KeyProblem", "KeyRing"]

RECORD_FILE = "workspace.json"
MAC_KEY_FILE = "mac.key"
_FORMAT = "crossmesh-party-workspace/1"
_MAC_BYTES = 32


@dataclass(frozen=True)
class KeyProblem:
    """Something wrong with a party's keys or its record: the file and what is wrong."""

    path: Path
    problem: str


@dataclass(frozen=True)
class _Record:
    """The parsed ``workspace.json``: fingerprints of recorded keys, and keys being created."""

    party: str
    keys: Mapping[str, str] = field(default_factory=dict)
    creating: tuple[str, ...] = ()
    mac: str | None = None

    def body(self) -> bytes:
        """The signed part, canonically encoded."""
        document = {"format": _FORMAT, "party": self.party, "keys": dict(self.keys),
                    "creating": list(self.creating)}  # fmt: skip
        return json.dumps(document, sort_keys=True).encode("utf-8")


def fingerprint(blob: bytes) -> str:
    """The SHA-256 fingerprint of a key file's bytes, as hex."""
    return hashlib.sha256(blob).hexdigest()


class KeyRing:
    """The keys of one party folder, checked against its record; open with :meth:`open`."""

    def __init__(self, folder: PartyFolder, party: str) -> None:
        self.folder = folder
        self.party = party
        self.record_path = folder.path(RECORD_FILE)
        self._mac_key: bytes | None = None

    @classmethod
    def open(cls, folder: PartyFolder, party: str) -> KeyRing:
        """The party's key ring: born (with a MAC key) in an empty folder, else checked."""
        ring = cls(folder, party)
        record = ring._read_record()
        if record is None or record.creating or MAC_KEY_FILE not in record.keys:
            with folder.lock("key creation"):
                ring._initialise()
        ring.check()
        ring._mac_key = ring.read(MAC_KEY_FILE)  # checked once per open, as the other keys
        return ring

    # -- checks -------------------------------------------------------------------------------
    def problems(self) -> Iterator[KeyProblem]:
        """Every problem of the record and the recorded key files (nothing if all is well)."""
        try:
            record = self._read_record()
        except IntegrityError as err:
            yield KeyProblem(self.record_path, str(err))
            return
        if record is None:
            yield KeyProblem(self.record_path, f"{self.record_path} is missing")
            return
        blobs: dict[str, bytes] = {}
        for name, expected in sorted(record.keys.items()):
            path = self.folder.keys / name
            try:
                blob = path.read_bytes()
            except FileNotFoundError:
                yield KeyProblem(path, f"key file {path} is missing (recorded in {RECORD_FILE})")
                continue
            if fingerprint(blob) != expected:
                yield KeyProblem(path, f"key file {path} has changed since it was created "
                                       f"(fingerprint {fingerprint(blob)[:12]}…, recorded "
                                       f"{expected[:12]}…)")  # fmt: skip
                continue
            if path.stat().st_mode & 0o077:
                yield KeyProblem(path, f"{path} is readable by other users; run `chmod 600 {path}`")
            blobs[name] = blob
        if MAC_KEY_FILE not in record.keys:
            yield KeyProblem(self.record_path, f"{self.record_path} records no MAC key")
        elif MAC_KEY_FILE in blobs and not _signed_by(record, blobs[MAC_KEY_FILE]):
            yield KeyProblem(self.record_path, f"{self.record_path} fails its MAC (edited)")
        for path in sorted(self.folder.keys.iterdir()):
            if path.name not in record.keys and not path.name.endswith(TMP_SUFFIX):
                yield KeyProblem(path, f"{path} is not a key this workspace recorded")

    def check(self) -> None:
        """Raise :class:`IntegrityError` on the first problem, saying what the operator can do."""
        for problem in self.problems():
            raise IntegrityError(
                f"{problem.problem}. Keys are never regenerated in a workspace that uses them: "
                f"restore {self.folder.keys} from a backup, or start a new workspace (releases "
                "already published stay valid); 'crossmesh verify' lists every problem"
            )

    def recorded(self, name: str) -> bool:
        """Whether key file ``name`` exists in the record."""
        record = self._read_record()
        return record is not None and name in record.keys

    def read(self, name: str) -> bytes:
        """The bytes of recorded key file ``name``, checked against its fingerprint."""
        record = self._read_record()
        path = self.folder.keys / name
        if record is None or name not in record.keys:
            raise ConfigError(f"{path} has not been created; run 'crossmesh prepare' first")
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            blob = b""
        if fingerprint(blob) != record.keys[name]:
            self.check()
            raise IntegrityError(f"key file {path} is missing or has changed")
        return blob

    # -- the MAC ------------------------------------------------------------------------------
    def mac_key(self) -> bytes:
        """The party's MAC key (checked when the ring was opened)."""
        if self._mac_key is None:
            self._mac_key = self.read(MAC_KEY_FILE)
        return self._mac_key

    def mac(self, domain: str, *parts: bytes, key: bytes | None = None) -> str:
        """HMAC-SHA256 over ``domain`` and ``parts`` (length-prefixed), as hex."""
        return keyed_mac(key if key is not None else self.mac_key(), domain, *parts)

    # -- creation -----------------------------------------------------------------------------
    def create(self, files: Mapping[str, bytes]) -> None:
        """Create new key files exclusively and record their fingerprints (under the lock)."""
        with self.folder.lock("key creation"):
            record = self._require_record()
            for name in files:
                path = self.folder.keys / name
                if name in record.keys or path.exists():
                    raise IntegrityError(f"{path} already exists; a key is never replaced")
            self._write(_Record(self.party, record.keys, tuple(files)))
            for name, blob in files.items():
                create_exclusive(self.folder.keys / name, blob, secret=True)
                fault_point("keys.created")
            keys = {**record.keys, **{name: fingerprint(blob) for name, blob in files.items()}}
            self._write(_Record(self.party, keys))

    def adopt(self, names: tuple[str, ...]) -> None:
        """Record existing key files of a workspace made before records (``crossmesh repair``)."""
        with self.folder.lock("repair"):
            if self._read_record() is not None:
                raise ConfigError(f"{self.record_path} exists; there is nothing to adopt")
            keys = {name: fingerprint((self.folder.keys / name).read_bytes()) for name in names}
            self._write(_Record(self.party, keys, (MAC_KEY_FILE,)))
            self._initialise()

    def _initialise(self) -> None:
        """Bear the record in an empty folder, or finish a creation a killed run left."""
        record = self._read_record()
        if record is None:
            self._refuse_used_folder()
            record = _Record(self.party)
        if set(record.creating) - {MAC_KEY_FILE} and not _signed_by(
            record, (self.folder.keys / MAC_KEY_FILE).read_bytes()
        ):
            raise IntegrityError(f"{self.record_path} fails its MAC (edited); restore it")
        for name in record.creating:  # never recorded: nothing can depend on these files
            (self.folder.keys / name).unlink(missing_ok=True)
        if MAC_KEY_FILE in record.keys:
            self._write(_Record(self.party, record.keys))
            return
        self._write(_Record(self.party, record.keys, (MAC_KEY_FILE,)))
        blob = secrets.token_bytes(_MAC_BYTES)
        create_exclusive(self.folder.keys / MAC_KEY_FILE, blob, secret=True)
        fault_point("keys.created")
        self._write(_Record(self.party, {**record.keys, MAC_KEY_FILE: fingerprint(blob)}))

    def _refuse_used_folder(self) -> None:
        """A folder without a record must hold nothing but its lock, leftovers and empty keys/."""
        used = [
            path.name
            for path in sorted(self.folder.root.iterdir())
            if path.name not in (LOCK_FILE, "keys") and not path.name.endswith(TMP_SUFFIX)
        ]
        keys = sorted(p.name for p in self.folder.keys.iterdir() if not p.name.endswith(TMP_SUFFIX))
        if used or keys:
            raise IntegrityError(
                f"{self.folder.root} holds a workspace ({', '.join(used + keys)}) but no "
                f"{RECORD_FILE} vouching for its keys; keys are never made in a used folder. "
                "If an older Crossmesh made it, run 'crossmesh repair'; otherwise restore it "
                "from a backup or start a new workspace"
            )

    # -- the record file ----------------------------------------------------------------------
    def _require_record(self) -> _Record:
        record = self._read_record()
        if record is None:
            raise ConfigError(f"{self.record_path} is missing; open the party first")
        return record

    def _read_record(self) -> _Record | None:
        try:
            document = json.loads(self.record_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            raise IntegrityError(f"{self.record_path} is damaged ({type(err).__name__})") from err
        try:
            if document["format"] != _FORMAT or document["party"] != self.party:
                raise ValueError(document["format"])
            return _Record(self.party, dict(document["keys"]), tuple(document["creating"]),
                           document.get("mac"))  # fmt: skip
        except (KeyError, TypeError, ValueError) as err:
            raise IntegrityError(
                f"{self.record_path} is not the {self.party}'s {_FORMAT} record"
            ) from err

    def _write(self, record: _Record) -> None:
        key = self.folder.keys / MAC_KEY_FILE
        signed = MAC_KEY_FILE in record.keys and MAC_KEY_FILE not in record.creating
        mac = keyed_mac(key.read_bytes(), "record", record.body()) if signed else None
        document = {**json.loads(record.body()), "mac": mac}
        atomic_write_text(self.record_path, json.dumps(document, sort_keys=True, indent=1))


def keyed_mac(key: bytes, domain: str, *parts: bytes) -> str:
    """HMAC-SHA256 under ``key`` over ``domain`` and ``parts``, each length-prefixed, as hex."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in (domain.encode("utf-8"), *parts):
        mac.update(len(part).to_bytes(8, "big"))
        mac.update(part)
    return mac.hexdigest()


def _signed_by(record: _Record, key: bytes) -> bool:
    return record.mac is not None and hmac.compare_digest(
        record.mac, keyed_mac(key, "record", record.body())
    )
