"""Tests for engine.inputs.parties: whole party folders, references, and the acceptance case."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import engine.inputs
from engine.inputs import AirlineInputs, CarrierInputs, load_airline, load_carrier
from foundation.errors import InputError

DOCS = Path(__file__).resolve().parents[3] / "docs" / "data-formats.md"

AIRLINE = {
    "members.csv": [
        "member_id,phone,age_band,home_prefecture",
        "M1,090-1234-5678,30-39,13",
        "M2,０８０－２２２２－３３３３,70+,01",
        "M3,+81 70 3333 4444,40-49,27",
    ],
    "boardings.csv": [
        "member_id,flight,origin,destination,departure,arrival",
        "M1,JL0513,HND,CTS,2025-08-01T09:30:00,2025-08-01T11:05:00",
        "M2,NH0061,HND,KUH,2025-08-01T08:00:00+09:00,2025-08-01T09:35:00+09:00",
        "M3,JL0213,HND,SHM,2025-08-32T08:00:00,2025-08-01T09:15:00",
    ],
    "donations.csv": [
        "member_id,municipality_code,donation_date,amount_jpy",
        "M1,01206,2025-09-14,30000",
    ],
}
CARRIER = {
    "subscribers.csv": [
        "subscriber_id,phone,age_band,gender,home_municipality,opt_out",
        "S1,09012345678,30-39,F,13101,0",
        "S2,+818022223333,70+,M,01101,1",
        "S3,03-1234-5678,50-59,F,27102,0",
    ],
    "observations.csv": [
        "subscriber_id,observed_at,lat,lon",
        "S1,2025-08-01T12:00:00,43.0642,141.3469",
        "S1,2025-08-01T12:15:00,200,141.3508",
        "S2,2025-08-01T12:30:00,43.0687,141.3508",
    ],
}


def write_party(folder: Path, files: dict[str, list[str]]) -> Path:
    """Write each file's lines into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A DIR with airline/ and carrier/ holding the acceptance-case files."""
    write_party(tmp_path / "airline", AIRLINE)
    write_party(tmp_path / "carrier", CARRIER)
    return tmp_path


def test_acceptance_four_problems_four_messages_valid_rows_kept(inputs: Path) -> None:
    """Missing gender, a bad date, an invalid phone and latitude 200: four clear messages."""
    airline, carrier = load_airline(inputs), load_carrier(inputs)
    messages = [m for report in airline.reports + carrier.reports for m in report.messages()]
    assert len(messages) == 4, messages
    expected = [
        r"^members\.csv: column 'gender' is missing; values treated as unknown",
        r"^boardings\.csv row 4 \(header is row 1\), field 'departure': is not a date-time",
        r"^subscribers\.csv row 4 \(header is row 1\), field 'phone': .*not a mobile number",
        r"^observations\.csv row 3 \(header is row 1\), field 'lat': is not a number from 20 to 46",
    ]
    for pattern, message in zip(expected, messages, strict=True):
        assert re.search(pattern, message), message
    assert airline.members["member_id"].tolist() == ["M1", "M2", "M3"]
    assert airline.boardings["member_id"].tolist() == ["M1", "M2"]
    assert carrier.subscribers["subscriber_id"].tolist() == ["S1", "S2"]
    assert len(carrier.observations) == 2
    assert "03-1234-5678" not in "\n".join(messages)


def test_frames_are_typed(inputs: Path) -> None:
    """Datetimes are naive JST datetime64, codes strings, opt_out bool, phone_e164 in place."""
    airline, carrier = load_airline(inputs), load_carrier(inputs)
    assert airline.boardings["departure"].dtype == "datetime64[ns]"
    assert airline.donations["donation_date"].dtype == "datetime64[ns]"
    assert "phone" not in airline.members.columns
    assert airline.members["phone_e164"].tolist()[1] == "+818022223333"
    assert carrier.subscribers["opt_out"].tolist() == [False, True]
    assert carrier.subscribers["home_municipality"].tolist() == ["13101", "01101"]
    assert carrier.observations["lat"].dtype == "float64"


def test_party_folder_may_be_given_directly(inputs: Path) -> None:
    """load_airline accepts DIR/airline as well as DIR."""
    direct = load_airline(inputs / "airline")
    assert direct.members.equals(load_airline(inputs).members)


def test_donations_are_optional(tmp_path: Path) -> None:
    """Without a donations file the airline loads with an empty, typed donations frame."""
    files = {name: lines for name, lines in AIRLINE.items() if name != "donations.csv"}
    airline = load_airline(write_party(tmp_path, files))
    assert airline.donations.empty
    assert list(airline.donations.columns) == [
        "member_id",
        "municipality_code",
        "donation_date",
        "amount_jpy",
    ]
    assert len(airline.reports) == 2


def test_missing_required_table_says_what_is_expected_where(tmp_path: Path) -> None:
    """A missing observations file raises InputError naming both accepted names and the folder."""
    folder = write_party(tmp_path / "carrier", {"subscribers.csv": CARRIER["subscribers.csv"]})
    with pytest.raises(InputError, match=r"expected observations\.csv or observations\.parquet"):
        load_carrier(folder)


def test_csv_and_parquet_of_one_table_conflict(inputs: Path) -> None:
    """Both members.csv and members.parquet present is a file-level error."""
    pd.DataFrame({"member_id": ["M1"]}).to_parquet(inputs / "airline" / "members.parquet")
    with pytest.raises(InputError, match="keep only one"):
        load_airline(inputs)


def test_rows_of_rejected_parents_are_rejected(inputs: Path) -> None:
    """Observations of a subscriber whose own row was rejected are rejected too."""
    observations = CARRIER["observations.csv"] + ["S3,2025-08-01T13:00:00,34.70,135.50"]
    write_party(inputs / "carrier", {"observations.csv": observations})
    carrier = load_carrier(inputs)
    (orphan,) = [r for r in carrier.reports[1].rejections if r.field == "subscriber_id"]
    assert orphan.row == 5 and "not among the accepted rows of subscribers" in orphan.reason


def test_unknown_members_in_donations_are_rejected(inputs: Path) -> None:
    """A donation by a member who is not in members is rejected with a reason."""
    donations = AIRLINE["donations.csv"] + ["M404,01206,2025-09-15,5000"]
    write_party(inputs / "airline", {"donations.csv": donations})
    report = load_airline(inputs).reports[2]
    assert [(r.row, r.field) for r in report.rejections] == [(3, "member_id")]


def test_parquet_party_loads_like_csv(inputs: Path, tmp_path: Path) -> None:
    """The carrier folder as Parquet files loads to the same frames as the CSV files."""
    parquet_folder = tmp_path / "as_parquet" / "carrier"
    parquet_folder.mkdir(parents=True)
    for name in ("subscribers", "observations"):
        frame = pd.read_csv(inputs / "carrier" / f"{name}.csv", dtype=str, keep_default_na=False)
        frame.to_parquet(parquet_folder / f"{name}.parquet", index=False)
    from_csv, from_parquet = load_carrier(inputs), load_carrier(parquet_folder)
    pd.testing.assert_frame_equal(from_csv.subscribers, from_parquet.subscribers)
    pd.testing.assert_frame_equal(from_csv.observations, from_parquet.observations)


def test_documented_examples_load_cleanly(tmp_path: Path) -> None:
    """Every example table in docs/data-formats.md loads with no warning or rejection."""
    blocks = re.findall(r"`(airline|carrier)/(\w+\.csv)`\n```csv\n(.*?)```", DOCS.read_text(), re.S)
    assert len(blocks) == 5
    for party, name, body in blocks:
        (tmp_path / party).mkdir(exist_ok=True)
        (tmp_path / party / name).write_text(body, encoding="utf-8")
    loaded: tuple[AirlineInputs, CarrierInputs] = (load_airline(tmp_path), load_carrier(tmp_path))
    reports = loaded[0].reports + loaded[1].reports
    assert len(reports) == 5 and all(report.ok for report in reports)


def test_package_all_is_honest() -> None:
    """Every name in engine.inputs.__all__ exists and every public name is listed in it."""
    for name in engine.inputs.__all__:
        assert hasattr(engine.inputs, name), name
    public = {name for name in vars(engine.inputs) if not name.startswith("_")}
    modules = {
        "csv_lines",
        "fields",
        "identity",
        "loading",
        "parquet_table",
        "policy",
        "parties",
        "phones",
        "reading",
        "report",
        "schemas",
        "annotations",
    }
    assert public - modules == set(engine.inputs.__all__)


def test_party_load_refuses_a_file_the_policy_refuses(tmp_path: Path) -> None:
    """Members whose every phone is bad stop the airline's load; policy=None only reports."""
    folder = tmp_path / "airline"
    folder.mkdir()
    (folder / "members.csv").write_text("member_id,phone\nM1,true\nM2,false\n", encoding="utf-8")
    (folder / "boardings.csv").write_text(
        "member_id,flight,origin,destination,departure,arrival\n"
        "M1,JL0513,HND,CTS,2025-08-01T09:30:00,2025-08-01T11:05:00\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="none of its 2 data rows") as caught:
        load_airline(folder)
    assert caught.value.file == "members.csv"
    reports = load_airline(folder, policy=None).reports
    assert [report.rows_kept for report in reports] == [0, 0]
