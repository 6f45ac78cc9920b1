"""``generate``: build a synthetic world and write both parties' files, the truth and a manifest.

The order of work, and where randomness comes from: one ``SeedSequence(seed)`` gives each part of
the world its own generator (:data:`_PARTS`), and each chunk of people its own generator after
those, so the same seed always yields the same bytes, however the parts are timed. People, trips
and donations are drawn for the whole world at once; itineraries, observations and the per-person
truth are produced one chunk of people at a time and the observations streamed to Parquet, so the
``large`` world never sits in memory whole.

Output layout (``DIR``)::

    airline/members.csv  airline/boardings.csv  airline/donations.csv
    carrier/subscribers.csv  carrier/observations.parquet
    truth/<table>.csv  truth/links.csv
    manifest.json
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from foundation.errors import InputError
from foundation.pace import seconds_left
from sample_data import mess, party_tables
from sample_data.donations import Donations, plan_donations
from sample_data.furusato_truth import furusato_groups
from sample_data.movement import observe
from sample_data.planner import build_itineraries
from sample_data.scales import Scale, scale_named
from sample_data.travel_calendar import DAY, TravelCalendar
from sample_data.trips import Trips, plan_trips
from sample_data.truth import ChunkInputs, chunk_truth, combine_truth
from sample_data.world import People, build_people
from sample_data.writer import observation_writer, write_csv, write_manifest

__all__ = ["GenerationSummary", "generate"]

_PARTS = ("people", "trips", "donations", "airline", "carrier")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate` wrote: rows per file (relative path) and carrier person-days."""

    scale: str
    seed: int
    out: Path
    rows: dict[str, int]
    person_days: int


def _quiet(_: str) -> None:
    """The default progress callback: say nothing."""


def generate(
    scale: str | Scale, seed: int, out: Path, progress: Progress = _quiet
) -> GenerationSummary:
    """Generate the world of ``scale`` from ``seed`` into the folder ``out``."""
    chosen = scale if isinstance(scale, Scale) else scale_named(scale)
    if not 0 <= seed < 2**63:
        raise InputError(
            f"seed must be a non-negative integer below 2**63, not {seed}", field="seed"
        )
    out = Path(out)
    children = np.random.SeedSequence(seed).spawn(len(_PARTS))
    rngs = {
        part: np.random.default_rng(child) for part, child in zip(_PARTS, children, strict=True)
    }
    progress(f"{chosen.name}: drawing {chosen.people:,} people, their trips and donations")
    world = _draw_world(chosen, seed, rngs)
    progress("writing the airline's files and the subscribers")
    rows = _write_airline(out, world, rngs["airline"])
    rows.update(_write_subscribers(out, world, rngs["carrier"]))
    observed, person_days, truth = _write_observations(out, world, progress)
    rows["carrier/observations.parquet"] = observed
    progress("writing the truth tables")
    rows.update(_write_truth(out, world, truth))
    # The manifest goes last: a folder with a manifest is a complete world.
    write_manifest(out / "manifest.json", _manifest(chosen, seed, rows, person_days))
    return GenerationSummary(chosen.name, seed, out, rows, person_days)


@dataclass(frozen=True)
class _World:
    """The whole-world draws that every chunk reads."""

    scale: Scale
    seed: int
    calendar: TravelCalendar
    people: People
    trips: Trips
    donations: Donations


def _draw_world(scale: Scale, seed: int, rngs: dict[str, np.random.Generator]) -> _World:
    """People, trips and donations of the whole world."""
    calendar = TravelCalendar(scale.start, scale.days)
    people = build_people(scale, rngs["people"])
    trips = plan_trips(scale, calendar, people, rngs["trips"])
    donations, trips = plan_donations(scale, people, trips, rngs["donations"])
    return _World(scale, seed, calendar, people, trips, donations)


def _write_airline(out: Path, world: _World, rng: np.random.Generator) -> dict[str, int]:
    """Write the airline's three files (with their mess); return rows per file."""
    people, calendar = world.people, world.calendar
    tables = {
        "airline/members.csv": mess.mess_members(party_tables.members_table(people, rng), rng),
        "airline/boardings.csv": mess.mess_boardings(
            party_tables.boardings_table(people, world.trips, calendar), rng
        ),
        "airline/donations.csv": mess.mess_donations(
            party_tables.donations_table(people, world.donations, calendar), rng
        ),
    }
    return {name: write_csv(out / name, frame) for name, frame in tables.items()}


def _write_subscribers(out: Path, world: _World, rng: np.random.Generator) -> dict[str, int]:
    """Write the carrier's subscriber file (with its mess); return its rows."""
    frame = mess.mess_subscribers(party_tables.subscribers_table(world.people, rng), rng)
    name = "carrier/subscribers.csv"
    return {name: write_csv(out / name, frame)}


def _write_truth(out: Path, world: _World, truth: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Write the truth tables and the identity links; return rows per file."""
    rows = {
        f"truth/{name}.csv": write_csv(out / "truth" / f"{name}.csv", frame)
        for name, frame in truth.items()
    }
    links = party_tables.links_table(world.people)
    rows["truth/links.csv"] = write_csv(out / "truth" / "links.csv", links)
    return rows


def _time_left(begun: float, done: int, total: int) -> str:
    """`` (about N s left)`` from the pace of the chunks done so far; nothing before the first."""
    left = seconds_left(time.monotonic() - begun, done / total) if done else None
    return "" if left is None else f" (about {left:.0f} s left)"


def _chunk_rng(seed: int, chunk: int) -> np.random.Generator:
    """The generator of one chunk of people: the seed's children after the named parts."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(len(_PARTS) + chunk,)))


def _write_observations(
    out: Path, world: _World, progress: Progress
) -> tuple[int, int, dict[str, pd.DataFrame]]:
    """Simulate and write observations chunk by chunk; return rows, person-days and truth."""
    scale, calendar = world.scale, world.calendar
    months = [calendar.month_of(day) for day in range(calendar.days)]
    groups = furusato_groups(world.donations, world.people.is_linked, months)
    starts = range(0, scale.people, scale.chunk_people)
    parts, person_days = [], 0
    schema = party_tables.OBSERVATION_SCHEMA
    with observation_writer(out / "carrier" / "observations.parquet", schema) as sink:
        begun = time.monotonic()
        for chunk, start in enumerate(starts):
            left = _time_left(begun, chunk, len(starts))
            progress(f"observations: chunk {chunk + 1} of {len(starts)}{left}")
            rng = _chunk_rng(world.seed, chunk)
            persons = np.arange(
                start, min(start + scale.chunk_people, scale.people), dtype=np.int64
            )
            itineraries = build_itineraries(world.people, world.trips, persons, calendar, rng)
            observations = observe(itineraries, rng)
            person_days += len(
                np.unique(observations.person * calendar.days + observations.second // DAY)
            )
            inputs = ChunkInputs(
                world.people, persons, world.trips, world.donations, observations, calendar, groups
            )
            parts.append(chunk_truth(inputs))
            table = party_tables.observation_table(observations, world.people, calendar)
            sink.write(mess.mess_observations(table, rng))
        rows = sink.rows
    return rows, person_days, combine_truth(parts, calendar)


def _manifest(scale: Scale, seed: int, rows: dict[str, int], person_days: int) -> dict[str, object]:
    """The manifest's content: what was generated, never when."""
    return {
        "generator": "crossmesh sample_data",
        "scale": scale.name,
        "seed": seed,
        "people": scale.people,
        "start_date": scale.start.isoformat(),
        "end_date": scale.end.isoformat(),
        "days": scale.days,
        "rows": dict(sorted(rows.items())),
        "carrier_person_days": person_days,
    }
