"""Loading a party's whole input folder: the airline's three tables, the carrier's two.

Each party keeps its files in its own folder (``DIR/airline/``, ``DIR/carrier/``; see
``docs/data-formats.md``); either the party folder or its parent may be given. Each table is
``NAME.csv`` or ``NAME.parquet`` (not both). Tables are loaded in dependency order, so that a
boarding or donation is kept only if its member was accepted, and an observation only if its
subscriber was.

One person is one normalised phone (:mod:`engine.inputs.identity`): IDs sharing a phone are merged
into the smallest of them and the dependent tables relabelled, so every contribution bound holds per
person; the merge is reported as a warning on the identity file.

Each file's report is then held to the :class:`~engine.inputs.policy.InputPolicy`: a file with no
usable rows, or more rejected rows than its allowance, stops the load with an
:class:`~foundation.errors.InputError` naming the first rejected rows. ``policy=None`` loads
without that check, for a caller (``crossmesh validate``) that shows every report first and holds
them to the policy itself.

Map: :class:`AirlineInputs` / :func:`load_airline`, :class:`CarrierInputs` / :func:`load_carrier`,
and :func:`find_table`, which locates one table's file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from engine.inputs.identity import IdentityMerge, merge_by_phone, relabel
from engine.inputs.loading import LoadedTable, empty_frame, load_table
from engine.inputs.policy import DEFAULT_POLICY, InputPolicy
from engine.inputs.report import ValidationReport
from engine.inputs.schemas import (
    BOARDINGS,
    DONATIONS,
    MEMBERS,
    OBSERVATIONS,
    SUBSCRIBERS,
    TableSchema,
)
from foundation.errors import InputError

__all__ = ["AirlineInputs", "CarrierInputs", "find_table", "load_airline", "load_carrier"]


@dataclass(frozen=True)
class AirlineInputs:
    """The airline's validated tables and one report per file read (members first)."""

    members: pd.DataFrame
    boardings: pd.DataFrame
    donations: pd.DataFrame
    reports: tuple[ValidationReport, ...]
    identity: IdentityMerge | None = None

    def __post_init__(self) -> None:
        if "phone_e164" not in self.members.columns:
            raise ValueError("airline members must carry normalised phone numbers (phone_e164)")


@dataclass(frozen=True)
class CarrierInputs:
    """The carrier's validated tables and one report per file read (subscribers first)."""

    subscribers: pd.DataFrame
    observations: pd.DataFrame
    reports: tuple[ValidationReport, ...]
    identity: IdentityMerge | None = None

    def __post_init__(self) -> None:
        if "phone_e164" not in self.subscribers.columns:
            raise ValueError("carrier subscribers must carry normalised phone numbers (phone_e164)")


def find_table(folder: Path, schema: TableSchema, *, required: bool = True) -> Path | None:
    """Return the path of ``schema``'s file in ``folder`` (``.csv`` or ``.parquet``).

    Returns ``None`` for an absent optional table; raises :class:`InputError` for an absent
    required one or when both formats are present.
    """
    found = [folder / name for name in schema.file_names() if (folder / name).is_file()]
    csv_name, parquet_name = schema.file_names()
    if len(found) > 1:
        raise InputError(f"both {csv_name} and {parquet_name} are in {folder}; keep only one")
    if not found and required:
        raise InputError(
            f"expected {csv_name} or {parquet_name} in {folder}; put the {schema.name} table "
            "there (see docs/data-formats.md)"
        )
    return found[0] if found else None


def _party_folder(folder: Path, party: str, anchor: TableSchema) -> Path:
    """The folder holding the party's files: ``folder`` itself, or ``folder/party``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"the folder {folder} does not exist; give the {party} input folder")
    has_anchor = any((folder / name).is_file() for name in anchor.file_names())
    nested = folder / party
    return nested if not has_anchor and nested.is_dir() else folder


def load_airline(folder: Path, *, policy: InputPolicy | None = DEFAULT_POLICY) -> AirlineInputs:
    """Load ``members``, ``boardings`` and (optional) ``donations``; one person per phone.

    Raises :class:`InputError` for a file-level problem or, unless ``policy`` is ``None``, for a
    file the policy refuses.
    """
    folder = _party_folder(folder, "airline", MEMBERS)
    members = _load(_required(folder, MEMBERS), MEMBERS, policy)
    member_ids = members.frame["member_id"]
    boardings = _load(_required(folder, BOARDINGS), BOARDINGS, policy, member_ids)
    tables = [boardings]
    donations_path = find_table(folder, DONATIONS, required=False)
    if donations_path is not None:
        tables.append(_load(donations_path, DONATIONS, policy, member_ids))
    mapping, identity = merge_by_phone(members.frame, "member_id", members.report.file)
    people = members.frame[members.frame["member_id"].astype(str).to_numpy() == mapping.to_numpy()]
    relabelled = [relabel(table.frame, "member_id", mapping) for table in tables]
    donations = relabelled[1] if len(relabelled) > 1 else empty_frame(DONATIONS)
    reports = (_with_merge(members, identity), *(table.report for table in tables))
    return AirlineInputs(people, relabelled[0], donations, reports, identity)


def load_carrier(folder: Path, *, policy: InputPolicy | None = DEFAULT_POLICY) -> CarrierInputs:
    """Load ``subscribers`` and ``observations`` from the carrier folder; one person per phone.

    Raises :class:`InputError` for a file-level problem or, unless ``policy`` is ``None``, for a
    file the policy refuses.
    """
    folder = _party_folder(folder, "carrier", SUBSCRIBERS)
    subscribers = _load(_required(folder, SUBSCRIBERS), SUBSCRIBERS, policy)
    subscriber_ids = subscribers.frame["subscriber_id"]
    observations = _load(_required(folder, OBSERVATIONS), OBSERVATIONS, policy, subscriber_ids)
    frame = subscribers.frame
    mapping, identity = merge_by_phone(frame, "subscriber_id", subscribers.report.file)
    canonical = frame["subscriber_id"].astype(str).to_numpy() == mapping.to_numpy()
    if identity.merged_ids:
        # A person has opted out when any of their IDs did (a missing flag counts as opted out).
        flags = frame["opt_out"].astype("boolean").fillna(True).astype(bool)
        frame = frame.assign(opt_out=flags.groupby(mapping.to_numpy()).transform("any").to_numpy())
    people = frame[canonical]
    reports = (_with_merge(subscribers, identity), observations.report)
    merged = relabel(observations.frame, "subscriber_id", mapping)
    return CarrierInputs(people, merged, reports, identity)


def _with_merge(table: LoadedTable, identity: IdentityMerge) -> ValidationReport:
    """The identity file's report with the merge (if any) as a warning."""
    warning = identity.warning()
    if warning is None:
        return table.report
    return replace(table.report, warnings=(*table.report.warnings, warning))


def _load(
    path: Path,
    schema: TableSchema,
    policy: InputPolicy | None,
    known_ids: pd.Series | None = None,
) -> LoadedTable:
    """Load one table and, with a policy, refuse it when the policy says so."""
    loaded = load_table(path, schema, known_ids=known_ids)
    if policy is not None:
        policy.enforce(loaded.report)
    return loaded


def _required(folder: Path, schema: TableSchema) -> Path:
    path = find_table(folder, schema)
    assert path is not None  # find_table raises for an absent required table
    return path
