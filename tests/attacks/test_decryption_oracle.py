"""Decryption oracles: the carrier cannot decrypt; neither party accepts out-of-protocol replays.

The carrier never holds the airline's private key (its folder, its memory and the wire are scanned
for the primes). The airline decrypts only one NoisedSums per query, of the query's exact layout,
after it answered every scope partition, and refuses sums that do not balance their checksums; the
carrier re-blinds a cohort once, takes each indicator partition once, sends the noised sums once,
and refuses indicators that repeat a ciphertext (reused randomness); a step it refuses ends the
query at the carrier (its reservation abandoned), so no check can be tried twice.

One more check is a *deviating* carrier (outside the semi-honest model, but DESIGN §3 promises
"range checks on the sums before publishing" against "an amplifying carrier"): it raises the
airline's indicators to a power before summing, and the airline's range check refuses the sums.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import gmpy2
import numpy as np
import pytest

from engine.crypto.pool import ResiduePool
from engine.crypto.residues import PublicResidues
from engine.parties.carrier import CarrierParty
from engine.session import SecureSession
from engine.wire.messages import IndicatorPartition, NoisedSums, QueryRequest, ScopePartition
from foundation.errors import CryptoError, ProtocolError


@dataclass
class Driven:
    """A query driven by hand up to its scope."""

    request: QueryRequest
    partitions: list[ScopePartition]

    @property
    def query_id(self) -> str:
        return self.request.query_id


def _send(session: SecureSession, sender: str, message: Any) -> Any:
    receiver = "carrier" if sender == "airline" else "airline"
    return session.channel.deliver(sender, receiver, message)


def _drive_to_scope(session: SecureSession, spec: Any) -> Driven:
    """Steps 1–4 of protocol v2, exactly as :class:`SecureSession` orders them."""
    a, c = session.airline, session.carrier
    session.connect()  # the airline's public key, once per session
    request = a.open_query(spec)
    assert isinstance(request, QueryRequest)
    a.accepted(_send(session, "carrier", c.accept(_send(session, "airline", request))))
    cohort = _send(session, "airline", a.blinded_cohort(request.query_id))
    a.receive_reblinded(_send(session, "carrier", c.reblind(cohort)))
    return Driven(request, [_send(session, "carrier", p) for p in c.scope(request.query_id)])


def _answer_scope(session: SecureSession, driven: Driven) -> None:
    """Step 5: the airline's indicators for every scope partition, taken by the carrier."""
    a, c = session.airline, session.carrier
    for partition in driven.partitions:
        c.receive_indicators(_send(session, "airline", a.indicators(partition)))


def _drive_to_sums(session: SecureSession, spec: Any) -> tuple[Driven, NoisedSums]:
    """Steps 1–6: the query driven up to the carrier's noised sums (not yet published)."""
    a, c = session.airline, session.carrier
    driven = _drive_to_scope(session, spec)
    _answer_scope(session, driven)
    challenge = _send(session, "carrier", c.canary_challenge(driven.query_id))
    c.check_canaries(_send(session, "airline", a.open_canaries(challenge)))
    return driven, c.noised_sums(driven.query_id)


def _abandon(session: SecureSession, driven: Driven) -> None:
    session.airline.abandon(driven.query_id, "attack-test")
    session.carrier.abandon(driven.query_id, "attack-test")


@pytest.fixture(scope="module")
def session(
    kit: ModuleType, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecureSession]:
    """A prepared world whose wire is recorded."""
    world = kit.open_world(tmp_path_factory.mktemp("oracle"), tiny_dir, kit.Transcript())
    yield world
    world.close()


def _prime_spellings(p: int) -> list[bytes]:
    width = (p.bit_length() + 7) // 8
    return [
        format(p, "x").encode(),
        format(p, "X").encode(),
        str(p).encode(),
        p.to_bytes(width, "big"),
        p.to_bytes(width, "little"),
    ]


def _integers(values: list[Any]) -> list[int]:
    return [int(v) for v in values if isinstance(v, int | gmpy2.mpz) and not isinstance(v, bool)]


def test_carrier_never_holds_the_private_key(kit: ModuleType, session: SecureSession) -> None:
    """No prime of the airline's key is in the carrier's folder, memory or on the wire."""
    session.release(kit.visit_spec(kind="flows"))
    private = session.airline.keys.private
    spellings = _prime_spellings(int(private.p)) + _prime_spellings(int(private.q))
    folder = session.workspace.carrier.root
    files = [path for path in folder.rglob("*") if path.is_file()]
    assert files, "the carrier's folder is empty: nothing was scanned"
    for path in files:
        blob = path.read_bytes()
        assert not any(s in blob for s in spellings), f"{path} holds a prime of the airline's key"
    wire = b"".join(entry.payload for entry in session.channel.transcript.entries)
    assert not any(s in wire for s in spellings)
    # The carrier's encryptor works from the public modulus alone (no CRT with the primes).
    encryptor = session.carrier._encryptor()
    residues = encryptor.residues
    residues = residues.source if isinstance(residues, ResiduePool) else residues
    assert isinstance(residues, PublicResidues)
    assert int(encryptor.n) == int(session.airline.keys.public.n)
    held = [*vars(encryptor).values(), *vars(residues).values()]
    assert not any(int(value) in (int(private.p), int(private.q)) for value in _integers(held))


def test_airline_refuses_sums_out_of_protocol(kit: ModuleType, session: SecureSession) -> None:
    """Wrong layout, unbalanced checksums, missing partitions and replays are all refused."""
    a, c = session.airline, session.carrier
    # Sums before every scope partition was answered.
    early = _drive_to_scope(session, kit.visit_spec(kind="flows", end="2025-08-10"))
    assert len(early.partitions) >= 2
    for partition in early.partitions[:-1]:
        c.receive_indicators(_send(session, "airline", a.indicators(partition)))
    with pytest.raises(ProtocolError):
        c.noised_sums(early.query_id)
    encryptor = c._encryptor()
    forged = NoisedSums(
        early.query_id, encryptor.ciphertext_bytes, (1,), encryptor.to_bytes(
            encryptor.encrypt_many([0])
        ),
    )  # fmt: skip
    with pytest.raises(ProtocolError, match="before every scope partition"):
        a.publish(_send(session, "carrier", forged))
    _abandon(session, early)

    # A complete query: its sums, then tampered variants of them.
    _, sums = _drive_to_sums(session, kit.visit_spec(kind="flows", end="2025-08-11"))
    width = sums.ciphertext_bytes
    one_more = replace(
        sums,
        outputs_per_piece=(sums.outputs_per_piece[0] + 1, *sums.outputs_per_piece[1:]),
        ciphertexts=sums.ciphertexts + sums.ciphertexts[:width],
    )
    one_less = replace(
        sums,
        outputs_per_piece=(sums.outputs_per_piece[0] - 1, *sums.outputs_per_piece[1:]),
        ciphertexts=sums.ciphertexts[width:],
    )
    for wrong in (one_more, one_less):
        with pytest.raises(ProtocolError, match="layout"):
            a.publish(_send(session, "carrier", wrong))
    # Enc(1) times the last output adds 1 to its lowest lane only: the checksum no longer balances.
    values = encryptor.from_bytes(sums.ciphertexts)
    values[-1] = encryptor.add(values[-1], encryptor.encrypt(1))
    unbalanced = replace(sums, ciphertexts=encryptor.to_bytes(values))
    with pytest.raises(CryptoError, match="checksum"):
        a.publish(_send(session, "carrier", unbalanced))
    release, published = a.publish(_send(session, "carrier", sums))
    c.record(_send(session, "airline", published))
    assert len(release.values) > 0
    # The same sums again (a replay, or a second answer to the same query) find no query.
    with pytest.raises(ProtocolError):
        a.publish(_send(session, "carrier", sums))


def _ended_at_carrier(session: SecureSession, query_id: str, reservation: Any, holds: int) -> None:
    """The carrier ended the query itself: abandoned in its ledger, no later step runs."""
    c = session.carrier
    assert not c.ledger.is_pending(reservation.id, reservation.spec_hash), "still reserved"
    assert c.preblinder.holds == holds, "a refused query still holds the carrier's pre-blinder"
    with pytest.raises(ProtocolError, match="did not accept"):
        c.canary_challenge(query_id)
    session.airline.abandon(query_id, "attack-test")


def test_carrier_refuses_replayed_steps(kit: ModuleType, session: SecureSession) -> None:
    """A second re-blinding, a second indicator partition, repeated ciphertexts and a second
    request for the noised sums are refused, and each refusal ends its query at the carrier: a
    deviating airline gets no second try at a check."""
    a, c = session.airline, session.carrier
    holds = c.preblinder.holds  # other tests of this module may have left queries open
    driven = _drive_to_scope(session, kit.visit_spec(kind="flows", end="2025-08-09"))
    reservation = c._queries[driven.query_id].reservation
    cohort = a.blinded_cohort(driven.query_id)
    with pytest.raises(ProtocolError, match="already re-blinded"):
        c.reblind(_send(session, "airline", cohort))
    _ended_at_carrier(session, driven.query_id, reservation, holds)

    driven = _drive_to_scope(session, kit.visit_spec(kind="flows", end="2025-08-15"))
    reservation = c._queries[driven.query_id].reservation
    answer = a.indicators(driven.partitions[0])
    c.receive_indicators(_send(session, "airline", answer))
    with pytest.raises(ProtocolError, match="twice"):
        c.receive_indicators(_send(session, "airline", answer))
    _ended_at_carrier(session, driven.query_id, reservation, holds)

    driven = _drive_to_scope(session, kit.visit_spec(kind="flows", end="2025-08-16"))
    reservation = c._queries[driven.query_id].reservation
    reply = a.indicators(driven.partitions[1])
    size = reply.pieces * reply.ciphertext_bytes
    doubled = reply.ciphertexts[:size] * 2 + reply.ciphertexts[2 * size :]
    with pytest.raises(ProtocolError, match="same ciphertext"):
        c.receive_indicators(_send(session, "airline", replace(reply, ciphertexts=doubled)))
    _ended_at_carrier(session, driven.query_id, reservation, holds)

    # Two draws of the carrier's noise on the same sums would let the airline average it away.
    driven, _ = _drive_to_sums(session, kit.visit_spec(kind="flows", end="2025-08-17"))
    reservation = c._queries[driven.query_id].reservation
    with pytest.raises(ProtocolError, match="already sent once"):
        c.noised_sums(driven.query_id)
    _ended_at_carrier(session, driven.query_id, reservation, holds)


AMPLIFIER = 1 << 12


def test_amplifying_carrier_is_refused(
    kit: ModuleType, session: SecureSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A carrier amplifying the airline's indicators is refused by the airline's range check.

    Raised to K = 4096 before summing, every lane holds K·exact + N_C and the checksum still
    balances; a lane can never exceed its group's key count plus the noise, so the airline
    refuses to publish instead of handing the carrier (published − N_C)/K = exact.
    """
    noises: list[np.ndarray] = []
    original_receive = CarrierParty.receive_indicators

    def amplified(self: CarrierParty, message: IndicatorPartition) -> None:
        encryptor = self._encryptor()
        nsquare = gmpy2.mpz(encryptor.nsquare)
        values = [
            gmpy2.powmod(c, AMPLIFIER, nsquare) for c in encryptor.from_bytes(message.ciphertexts)
        ]
        original_receive(self, replace(message, ciphertexts=encryptor.to_bytes(values)))

    original_mechanism = kit.NoiseMechanism.sample

    def recorded(self: Any, length: int) -> np.ndarray:
        drawn = original_mechanism(self, length)
        if kit._caller_party() == "carrier":
            noises.append(drawn.copy())
        return drawn

    monkeypatch.setattr(CarrierParty, "receive_indicators", amplified)
    monkeypatch.setattr(kit.NoiseMechanism, "sample", recorded)
    spec = kit.visit_spec(kind="flows", threshold=0, epsilon=0.5)
    try:
        release = session.release(spec)
    except (ProtocolError, CryptoError):
        return  # refused: the protection works
    exact = kit.exact_sums(session, spec).ravel()
    published = np.array(release.values, dtype=np.int64)
    guess = np.rint((published - noises[-1]) / AMPLIFIER).astype(np.int64)
    shown = published > 0
    assert not np.array_equal(guess[shown], exact[shown]), (
        f"the carrier recovered {int(shown.sum())} exact counts, e.g. {exact[shown][:8]}"
    )


def test_no_step_runs_once_its_reservation_is_abandoned(
    kit: ModuleType, session: SecureSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each node asks its own ledger before a step: a reservation abandoned meanwhile (an
    operator's ``ledger settle``, an idle time-out) stops the query — the carrier sends no sums,
    the airline decrypts nothing — and the spent budget stays spent."""
    a, c = session.airline, session.carrier
    holds = c.preblinder.holds  # other tests of this module may have left queries open
    driven = _drive_to_scope(session, kit.visit_spec(kind="flows", end="2025-08-09"))
    _answer_scope(session, driven)
    assert c.preblinder.paused and c.preblinder.holds == holds + 1, "blinds ahead mid-query"
    carrier_reservation = c._queries[driven.query_id].reservation
    c.ledger.abandon(carrier_reservation, "operator: settled by hand")
    with pytest.raises(ProtocolError, match="no longer holds this query's reservation"):
        c.canary_challenge(driven.query_id)
    assert c.preblinder.holds == holds, "a query the carrier stopped still holds its pre-blinder"
    with pytest.raises(ProtocolError, match="did not accept"):  # the query is gone for good
        c.noised_sums(driven.query_id)
    spent = {str(s): c.ledger.budget(s).spent_rho for s in carrier_reservation.scopes}
    assert all(rho >= carrier_reservation.rho for rho in spent.values())
    a.abandon(driven.query_id, "attack-test")

    # The airline: sums that arrive after its own reservation was abandoned are not decrypted.
    driven, sums = _drive_to_sums(session, kit.visit_spec(kind="flows", end="2025-08-08"))
    reservation = a._queries[driven.query_id].reservation
    assert reservation is not None
    a.ledger.abandon(reservation, "operator: settled by hand")

    def no_decryption(*_args: Any) -> Any:
        raise AssertionError("the airline decrypted sums its ledger did not authorise")

    monkeypatch.setattr(a, "_decrypt", no_decryption)
    with pytest.raises(ProtocolError, match="nothing is decrypted"):
        a.publish(_send(session, "carrier", sums))
    _abandon(session, driven)
