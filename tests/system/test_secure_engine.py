"""The secure engine end to end on tiny data: encrypted sums equal the plaintext truth exactly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from engine.airline import EncryptedSums
from engine.channel import Transcript
from engine.cohorts import Cohort, arrival_cohort, departure_cohort, donor_cohort
from engine.inputs import AirlineInputs, load_airline
from engine.layout import PackedLayout
from engine.protocol import SecureSession, SessionSettings
from engine.views import view_family

START, END = dt.date(2025, 8, 1), dt.date(2025, 8, 14)
TEST_SETTINGS = SessionSettings(
    key_bits=2048, workers=2, min_group_size=1, allow_unnoised_decryption=True
)


@pytest.fixture(scope="module")
def transcript() -> Transcript:
    """Every message of the module's session."""
    return Transcript()


@pytest.fixture(scope="module")
def session(
    tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory, transcript: Transcript
) -> Iterator[SecureSession]:
    """A workspace with the tiny world ingested (unnoised decryption allowed: tests only)."""
    workspace = tmp_path_factory.mktemp("ws")
    secure = SecureSession(workspace, TEST_SETTINGS, transcript=transcript)
    secure.ingest(tiny_dir)
    yield secure


@pytest.fixture(scope="module")
def airline(tiny_dir: Path) -> AirlineInputs:
    """The airline's own validated inputs."""
    return load_airline(tiny_dir / "airline")


def _truth(tiny_dir: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(tiny_dir / "truth" / f"{name}.csv", dtype=str)
    for column in ("count", "visited"):
        if column in frame:
            frame[column] = frame[column].astype(int)
    return frame


def _decrypted(
    session: SecureSession, cohort: Cohort, block: str
) -> dict[tuple[str, ...], dict[str, int]]:
    """Per group label, the non-zero slot values of ``block``, via the carrier (test path)."""
    layout = PackedLayout.of(view_family(cohort.family), session.carrier.codec)
    segment = layout.segment_of(block)
    request, pending = session.airline.blind_cohort(cohort)
    reply = session.carrier.reblind(request)
    sums: EncryptedSums = session.airline.sum_matches(
        reply, pending, (segment.ciphertext_start, segment.ciphertext_stop)
    )
    block_offset = layout.family.block_offset(block) - segment.slot_start
    labels = layout.family.block(block).labels
    result = {}
    for label, ciphertexts in zip(sums.labels, sums.ciphertexts, strict=True):
        values = session.carrier.decrypt_unnoised(list(ciphertexts), segment.length)
        block_values = values[block_offset : block_offset + len(labels)]
        result[label] = {labels[i]: int(v) for i, v in enumerate(block_values) if v}
    return result


def _expected(frame: pd.DataFrame, keys: list[str], slot: str, value: str = "count") -> dict:
    out: dict[tuple[str, ...], dict[str, int]] = {}
    for row in frame.itertuples(index=False):
        record = row._asdict()
        label = tuple(record[k] for k in keys)
        out.setdefault(label, {})[record[slot]] = int(record[value])
    return out


@pytest.mark.parametrize("airport", ["SHM", "CTS", "FUK", "TAK", "KUH"])
@pytest.mark.parametrize(
    ("block", "truth_name", "slot_column"),
    [
        ("mesh", "visit_mesh", "mesh_code"),
        ("area", "visit_area", "municipality_code"),
        ("hour", "hour_profile", "hour"),
    ],
)
def test_arrival_views_equal_truth(
    session: SecureSession,
    airline: AirlineInputs,
    tiny_dir: Path,
    airport: str,
    block: str,
    truth_name: str,
    slot_column: str,
) -> None:
    """Mesh, area and hour presence after arrival: per date and day offset, exactly the truth."""
    cohort = arrival_cohort(
        airline.members, airline.boardings, airport, START, END, days=3, by_date=True, max_trips=14
    )
    truth = _truth(tiny_dir, truth_name)
    truth = truth[truth["airport"] == airport]
    if slot_column == "hour":
        truth = truth.assign(hour=truth["hour"].str.zfill(2))
    expected = _expected(truth, ["arrival_date", "day_offset"], slot_column)
    got = {label: slots for label, slots in _decrypted(session, cohort, block).items() if slots}
    assert got == expected
    assert expected, "the tiny world should have arrivals at every study airport"


@pytest.mark.parametrize("airport", ["SHM", "CTS", "MMB"])
@pytest.mark.parametrize(
    ("block", "truth_name"), [("demographic", "profile"), ("prior_visits", "repeat")]
)
def test_arrival_day_profile_and_repeat_equal_truth(
    session: SecureSession,
    airline: AirlineInputs,
    tiny_dir: Path,
    airport: str,
    block: str,
    truth_name: str,
) -> None:
    """Age × gender and prior-visit buckets of arrivals on their arrival day equal the truth."""
    cohort = arrival_cohort(
        airline.members, airline.boardings, airport, START, END, days=1, by_date=True, max_trips=14
    )
    truth = _truth(tiny_dir, truth_name)
    truth = truth[truth["airport"] == airport]
    if block == "demographic":
        truth = truth.assign(slot=truth["age_band"] + "|" + truth["gender"])
    else:
        truth = truth.assign(slot=truth["prior_bucket"])
    expected = {
        (d, "0"): slots for (d,), slots in _expected(truth, ["arrival_date"], "slot").items()
    }
    got = {label: slots for label, slots in _decrypted(session, cohort, block).items() if slots}
    assert got == expected
    assert expected


def test_furusato_donors_and_comparison_equal_truth(
    session: SecureSession, airline: AirlineInputs, tiny_dir: Path
) -> None:
    """Monthly visits to the donated town, donors against non-donors, equal the truth."""
    truth = _truth(tiny_dir, "furusato")
    truth = truth[(truth["donation_month"] == "2025-08") & (truth["month_offset"] == "0")]
    checked = 0
    for municipality in sorted(set(truth["municipality_code"]))[:4]:
        cohort = donor_cohort(
            airline.members, airline.donations, municipality, ["2025-08"], months_after=1
        )
        got = _decrypted(session, cohort, "visited")
        rows = truth[truth["municipality_code"] == municipality]
        for row in rows.itertuples(index=False):
            label = (row.cohort, "2025-08", "0")
            assert got.get(label, {}).get(municipality, 0) == row.visited
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize("origin", ["HND", "ITM"])
def test_preboarding_classes_equal_truth(
    session: SecureSession, airline: AirlineInputs, tiny_dir: Path, origin: str
) -> None:
    """Location class 24 h, 60, 40 and 20 minutes before departure equals the truth."""
    cohort = departure_cohort(airline.members, airline.boardings, origin, START, END, max_trips=14)
    got: dict[tuple[str, str, str], int] = {}
    for (half, minutes, slot), slots in _decrypted(session, cohort, "class_at").items():
        for label, value in slots.items():
            slot_time, location_class = label.split("|")
            if slot_time == slot:
                key = (half, minutes, location_class)
                got[key] = got.get(key, 0) + value
    truth = _truth(tiny_dir, "preboarding")
    truth = truth[(truth["origin"] == origin) & (truth["location_class"] != "none")]
    truth = truth[truth["departure_date"] <= END.isoformat()]
    expected = truth.groupby(["half", "minutes_before", "location_class"])["count"].sum()
    assert got == {key: int(value) for key, value in expected.items()}
    assert got
