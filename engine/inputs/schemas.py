"""Declarative schemas of the five input tables, as documented in ``docs/data-formats.md``.

A :class:`TableSchema` lists its :class:`Column` s (name, type, rule in words, the vectorised
parser that enforces the rule, whether the column is required), the cross-field
:class:`RowRule` s, the column whose values must be unique, and the :class:`Reference` to the table
that must know each row's ID. The loader (:mod:`engine.inputs.loading`) only interprets these
declarations, so the contract lives here in one place.

Required columns carry identity, time or location: a file without one cannot be used. Optional
columns only feed breakdowns (age band, gender, home prefecture, amount): when absent or empty the
value is :data:`UNKNOWN` (``NA`` for the amount) and the row is kept.

Map of the module: the value types (:class:`Column`, :class:`RowRule`, :class:`Reference`,
:class:`TableSchema`), the code lists (:data:`KNOWN_AIRPORTS`, :data:`AGE_BANDS`,
:data:`GENDERS`), then the schemas :data:`MEMBERS`, :data:`BOARDINGS`, :data:`DONATIONS`,
:data:`SUBSCRIBERS`, :data:`OBSERVATIONS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from engine.inputs import fields as f

__all__ = [
    "AGE_BANDS",
    "BOARDINGS",
    "DONATIONS",
    "GENDERS",
    "KNOWN_AIRPORTS",
    "MAX_FLIGHT_HOURS",
    "MEMBERS",
    "OBSERVATIONS",
    "SUBSCRIBERS",
    "UNKNOWN",
    "Column",
    "Reference",
    "RowRule",
    "TableSchema",
]

UNKNOWN = "unknown"
KNOWN_AIRPORTS = frozenset({"HND", "ITM", "CTS", "OKD", "MMB", "KUH", "SHB", "SHM", "TAK", "FUK"})
AGE_BANDS = ("20-29", "30-39", "40-49", "50-59", "60-69", "70+")
GENDERS = ("F", "M")
MAX_FLIGHT_HOURS = 6
_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
_ID_RULE = r"[A-Za-z0-9_\-]{1,32}"
_ID_REASON = "is not an ID of 1 to 32 characters from A-Z a-z 0-9 _ -"
_PREFECTURE = r"(?:0[1-9]|[1-3]\d|4[0-7])"
_MUNICIPALITY_REASON = (
    "is not a five-digit municipality code (JIS X 0402 without check digit, e.g. 01101)"
)


@dataclass(frozen=True)
class Column:
    """One column: its name, type and rule in words, and the parser that enforces the rule.

    ``output`` renames the column in the loaded frame (``phone`` becomes ``phone_e164``).
    ``unknown`` is the value an optional column takes when it is absent or a cell is empty.
    """

    name: str
    kind: str
    rule: str
    parse: f.Parser
    required: bool = True
    output: str = ""
    unknown: object = UNKNOWN

    def __post_init__(self) -> None:
        for name in (self.name, self.output_name):
            if not _NAME_RE.fullmatch(name):
                raise ValueError(f"column name must be lower-case snake case, not {name!r}")

    @property
    def output_name(self) -> str:
        """The column's name in the loaded frame."""
        return self.output or self.name


@dataclass(frozen=True)
class RowRule:
    """A rule across fields; checked only where every column in ``needs`` is valid.

    ``violated`` maps the typed frame to a boolean mask; rows where it is true are rejected with
    ``reason``, reported against ``field``.
    """

    field: str
    needs: tuple[str, ...]
    reason: str
    violated: Callable[[pd.DataFrame], pd.Series]

    def __post_init__(self) -> None:
        if self.field not in self.needs:
            raise ValueError(f"row rule on {self.field!r} must list it among the fields it needs")


@dataclass(frozen=True)
class Reference:
    """Every value of ``column`` must be an accepted ID of table ``table``."""

    column: str
    table: str


@dataclass(frozen=True)
class TableSchema:
    """A table: its columns, cross-field rules, unique key and reference to another table."""

    name: str
    columns: tuple[Column, ...]
    unique_key: str | None = None
    row_rules: tuple[RowRule, ...] = field(default=())
    reference: Reference | None = None

    def __post_init__(self) -> None:
        names = [column.name for column in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"schema {self.name!r} names a column twice")
        needed = {self.unique_key} if self.unique_key else set()
        needed |= {name for rule in self.row_rules for name in rule.needs}
        if self.reference is not None:
            needed.add(self.reference.column)
        if not needed <= set(self.output_names):
            raise ValueError(f"schema {self.name!r} refers to columns it does not declare")

    @property
    def output_names(self) -> tuple[str, ...]:
        """Column names of the loaded frame, in order."""
        return tuple(column.output_name for column in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        """Names of the columns a file must have."""
        return tuple(column.name for column in self.columns if column.required)

    def file_names(self) -> tuple[str, str]:
        """The accepted file names: ``NAME.csv`` and ``NAME.parquet``."""
        return f"{self.name}.csv", f"{self.name}.parquet"


def _id(name: str, rule: str = "1–32 characters of A-Z a-z 0-9 _ -") -> Column:
    return Column(name, "text", rule, f.text_matching(_ID_RULE, _ID_REASON))


def _phone() -> Column:
    rule = "a Japanese mobile number in any common format; normalised to E.164"
    return Column("phone", "text", rule, f.phone_number, output="phone_e164")


def _age_band() -> Column:
    reason = "is not an age band (" + ", ".join(AGE_BANDS) + ")"
    return Column(
        "age_band",
        "text",
        "one of " + " ".join(AGE_BANDS),
        f.one_of(AGE_BANDS, reason),
        required=False,
    )


def _gender() -> Column:
    return Column("gender", "text", "F or M", f.one_of(GENDERS, "is not F or M"), required=False)


def _municipality(name: str) -> Column:
    parse = f.text_matching(_PREFECTURE + r"\d{3}", _MUNICIPALITY_REASON)
    return Column(name, "text", "five-digit JIS X 0402 municipality code", parse)


def _airport(name: str) -> Column:
    reason = "is not a known airport code (" + " ".join(sorted(KNOWN_AIRPORTS)) + ")"
    return Column(name, "text", "IATA code of a known airport", f.one_of(KNOWN_AIRPORTS, reason))


def _same_airport(frame: pd.DataFrame) -> pd.Series:
    return frame["origin"] == frame["destination"]


def _not_after_departure(frame: pd.DataFrame) -> pd.Series:
    return frame["arrival"] <= frame["departure"]


def _too_long_after_departure(frame: pd.DataFrame) -> pd.Series:
    return frame["arrival"] - frame["departure"] > pd.Timedelta(hours=MAX_FLIGHT_HOURS)


MEMBERS = TableSchema(
    name="members",
    columns=(
        _id("member_id", "1–32 characters of A-Z a-z 0-9 _ -; unique"),
        _phone(),
        _age_band(),
        _gender(),
        Column(
            "home_prefecture",
            "text",
            "two-digit prefecture code 01–47",
            f.text_matching(_PREFECTURE, "is not a two-digit prefecture code from 01 to 47"),
            required=False,
        ),
    ),
    unique_key="member_id",
)

BOARDINGS = TableSchema(
    name="boardings",
    columns=(
        _id("member_id"),
        Column(
            "flight",
            "text",
            "airline designator and number, e.g. JL0213",
            f.text_matching(
                r"[A-Z0-9]{2}\d{1,4}[A-Z]?",
                "is not a flight like JL0213 (designator and 1–4 digits)",
            ),
        ),
        _airport("origin"),
        _airport("destination"),
        Column("departure", "datetime", "JST", f.datetime_jst),
        Column(
            "arrival", "datetime", "JST, after departure, at most 6 hours later", f.datetime_jst
        ),
    ),
    row_rules=(
        RowRule(
            "destination",
            ("origin", "destination"),
            "is the same airport as the origin",
            _same_airport,
        ),
        RowRule(
            "arrival", ("departure", "arrival"), "is not after the departure", _not_after_departure
        ),
        RowRule(
            "arrival",
            ("departure", "arrival"),
            f"is more than {MAX_FLIGHT_HOURS} hours after the departure",
            _too_long_after_departure,
        ),
    ),
    reference=Reference("member_id", "members"),
)

DONATIONS = TableSchema(
    name="donations",
    columns=(
        _id("member_id"),
        _municipality("municipality_code"),
        Column("donation_date", "date", "YYYY-MM-DD", f.calendar_date),
        Column(
            "amount_jpy",
            "integer",
            "1 000 – 10 000 000",
            f.whole_number_between(1_000, 10_000_000, "yen"),
            required=False,
            unknown=pd.NA,
        ),
    ),
    reference=Reference("member_id", "members"),
)

SUBSCRIBERS = TableSchema(
    name="subscribers",
    columns=(
        _id("subscriber_id", "1–32 characters of A-Z a-z 0-9 _ -; unique"),
        _phone(),
        _age_band(),
        _gender(),
        _municipality("home_municipality"),
        Column("opt_out", "boolean", "0/1 or true/false", f.flag),
    ),
    unique_key="subscriber_id",
)

OBSERVATIONS = TableSchema(
    name="observations",
    columns=(
        _id("subscriber_id"),
        Column("observed_at", "datetime", "JST", f.datetime_jst),
        Column(
            "lat",
            "float",
            "degrees, 20–46 (Japan)",
            f.number_between(20, 46, "latitude in Japan, degrees"),
        ),
        Column(
            "lon",
            "float",
            "degrees, 122–154 (Japan)",
            f.number_between(122, 154, "longitude in Japan, degrees"),
        ),
    ),
    reference=Reference("subscriber_id", "subscribers"),
)
