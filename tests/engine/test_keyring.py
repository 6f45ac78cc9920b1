"""Keys made once in an empty folder, recorded by fingerprint, and never silently replaced."""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

import pytest

from engine.crypto.paillier import PRIVATE_KEY_FILE, PUBLIC_KEY_FILE
from engine.keyring import MAC_KEY_FILE, RECORD_FILE, KeyRing
from engine.parties.airline import AirlineParty
from engine.workspace import PartyFolder
from foundation.errors import IntegrityError

KEY_FILES = (PUBLIC_KEY_FILE, PRIVATE_KEY_FILE, MAC_KEY_FILE)


def _prepared_airline(root: Path, data: Path) -> PartyFolder:
    folder = PartyFolder(root)
    party = AirlineParty(data / "airline", folder, key_bits=1024)
    party.prepare()
    party.close()
    return folder


def _snapshot(folder: PartyFolder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.keys.iterdir()}


def _flip_one_byte(path: Path) -> None:
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory: pytest.TempPathFactory, tiny_dir: Path) -> dict[str, bytes]:
    """The key files of another, equally valid airline workspace."""
    return _snapshot(_prepared_airline(tmp_path_factory.mktemp("other") / "airline", tiny_dir))


@pytest.mark.parametrize("name", KEY_FILES)
@pytest.mark.parametrize("damage", ["delete", "edit", "replace"])
def test_a_missing_or_changed_key_is_refused_and_never_regenerated(
    tmp_path: Path, tiny_dir: Path, other_keys: dict[str, bytes], name: str, damage: str
) -> None:
    """Deleting, editing one byte of, or replacing each key file stops the party's open."""
    folder = _prepared_airline(tmp_path / "airline", tiny_dir)
    path = folder.keys / name
    if damage == "delete":
        path.unlink()
    elif damage == "edit":
        _flip_one_byte(path)
    else:
        path.write_bytes(other_keys[name])
    before = _snapshot(folder)
    with pytest.raises(IntegrityError, match=r"never regenerated.*restore"):
        AirlineParty(tiny_dir / "airline", folder, key_bits=1024).prepare()
    assert _snapshot(folder) == before


def test_a_used_folder_without_a_record_is_refused(tmp_path: Path, tiny_dir: Path) -> None:
    """Views, a ledger or keys without workspace.json: no key is made there."""
    folder = _prepared_airline(tmp_path / "airline", tiny_dir)
    folder.path(RECORD_FILE).unlink()
    before = _snapshot(folder)
    with pytest.raises(IntegrityError, match=r"no workspace\.json"):
        KeyRing.open(folder, "airline")
    assert _snapshot(folder) == before


def test_an_edited_record_fails_its_mac(
    tmp_path: Path, tiny_dir: Path, other_keys: dict[str, bytes]
) -> None:
    """Another key pair with workspace.json edited to its fingerprints fails the record's MAC."""
    folder = _prepared_airline(tmp_path / "airline", tiny_dir)
    record = json.loads(folder.path(RECORD_FILE).read_text())
    for name in (PUBLIC_KEY_FILE, PRIVATE_KEY_FILE):
        (folder.keys / name).write_bytes(other_keys[name])
        record["keys"][name] = hashlib.sha256(other_keys[name]).hexdigest()
    folder.path(RECORD_FILE).write_text(json.dumps(record))
    with pytest.raises(IntegrityError, match="fails its MAC"):
        KeyRing.open(folder, "airline")


def test_a_killed_key_creation_is_finished_on_the_next_open(tmp_path: Path) -> None:
    """Files a record names as 'creating' were never used: they are removed and made again."""
    folder = PartyFolder(tmp_path / "carrier").ensure()
    ring = KeyRing.open(folder, "carrier")
    first = ring.mac_key()
    record = json.loads(folder.path(RECORD_FILE).read_text())
    folder.path(RECORD_FILE).write_text(
        json.dumps({**record, "keys": {}, "creating": [MAC_KEY_FILE], "mac": None})
    )
    (folder.keys / MAC_KEY_FILE).write_bytes(b"half")
    again = KeyRing.open(folder, "carrier")
    assert again.mac_key() != first and len(again.mac_key()) == 32
    assert list(again.problems()) == []


def test_keys_are_created_exclusively_and_recorded(tmp_path: Path) -> None:
    """create refuses a recorded name and an unrecorded file already there."""
    folder = PartyFolder(tmp_path / "airline").ensure()
    ring = KeyRing.open(folder, "airline")
    ring.create({"extra.key": secrets.token_bytes(8)})
    assert ring.recorded("extra.key") and list(ring.problems()) == []
    with pytest.raises(IntegrityError, match="never replaced"):
        ring.create({"extra.key": b"again"})
    (folder.keys / "stray.key").write_bytes(b"x")
    with pytest.raises(IntegrityError, match="never replaced"):
        ring.create({"stray.key": b"y"})
