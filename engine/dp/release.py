"""The Release: one published set of DP values with everything needed to read them honestly.

A :class:`Release` is what the airline publishes after decrypting and post-processing (DESIGN §3,
step 7) and what the ledger stores and the dashboard reads. It is frozen and validated when built,
so a malformed release cannot exist: a suppressed value has no number (``None``) and no interval,
every published value lies above its interval's half-width (its 95 % interval excludes zero) and
is at least the optional floor (``threshold``), and the privacy parameters are consistent
(checked by building their :class:`~engine.dp.accounting.PrivacyCost`). Each value records how
many draws of the noise it carries (``draws``, at ``noise_scale``), so any sum of shown values
can be given its exact interval (:func:`Release.sum_half_width`). A value that is not a plain sum
of draws — a reconciled estimate of a two-level map (:mod:`engine.dp.hierarchy`) — records instead
the standard deviation of its noise (``noise_sd``, ``None`` for plain values); its interval and
p-value use the normal law of that deviation, and sums over such values are refused (their
estimates are correlated).

Map of the module:

* :class:`Release` — values, suppression flags, 95 % half-widths, noise draws per value, row
  labels (the mesh cell, area or group of each value) and their column names, the DP parameters
  and noise scale, the publication rule and floor, the query spec (JSON-able), ``created_at``
  (ISO 8601, UTC) and ``release_id``;
* :meth:`Release.to_frame`, :meth:`Release.to_json` / :meth:`Release.from_json` (an exact round
  trip), :meth:`Release.write` (CSV, Parquet, GeoJSON or JSON by extension; see
  :mod:`engine.dp.export`);
* :func:`build_release` — applies the publication rule (:mod:`engine.dp.publication`) to
  decrypted noisy integers and assembles the release.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeGuard

import pandas as pd
import shapely

from engine.dp.accounting import MechanismKind, PrivacyCost
from engine.dp.mechanisms import NoiseMechanism
from engine.dp.publication import DEFAULT_FLOOR, RULE, check_floor, publish
from engine.dp.sums import noise_law, normal_law
from foundation.errors import ConfigError, InputError, IntegrityError

__all__ = ["RELEASE_FORMAT", "RESERVED_COLUMNS", "Label", "Release", "build_release"]

RELEASE_FORMAT = "crossmesh.release/2"
RESERVED_COLUMNS = ("value", "suppressed", "ci95", "draws")  # the frame's columns, not labels
Label = str | int


def _utc_now() -> str:
    """The current time as ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_release_id() -> str:
    """A random identifier: it must not encode the query or the data."""
    return uuid.uuid4().hex


def _canonical_json(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-able copy of ``spec`` with sorted keys, so the round trip is exact."""
    if not isinstance(spec, Mapping):
        raise InputError("query spec must be a mapping", field="query_spec")
    try:
        canonical: dict[str, Any] = json.loads(json.dumps(spec, sort_keys=True, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InputError(f"query spec must be JSON-able: {error}", field="query_spec") from None
    return canonical


@dataclass(frozen=True)
class Release:
    """A published DP release; index ``i`` of every per-value tuple describes the same value."""

    values: tuple[int | None, ...]
    suppressed: tuple[bool, ...]
    ci95: tuple[int | None, ...]
    row_labels: tuple[tuple[Label, ...], ...]
    label_names: tuple[str, ...]
    mechanism: MechanismKind
    epsilon: float
    delta: float
    rho: float
    threshold: int
    query_spec: Mapping[str, Any]
    noise_scale: float
    draws: tuple[int, ...]
    noise_sd: tuple[float | None, ...] = ()  # empty: every value is a plain sum of draws
    rule: str = RULE
    created_at: str = field(default_factory=_utc_now)
    release_id: str = field(default_factory=_new_release_id)

    def __post_init__(self) -> None:
        for name in ("values", "suppressed", "ci95", "label_names", "draws", "noise_sd"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "row_labels", tuple(tuple(row) for row in self.row_labels))
        object.__setattr__(self, "query_spec", _canonical_json(self.query_spec))
        object.__setattr__(self, "threshold", check_floor(self.threshold))
        if not isinstance(self.noise_scale, int | float) or not self.noise_scale > 0:
            raise InputError("the noise scale must be positive", field="noise_scale")
        object.__setattr__(self, "noise_scale", float(self.noise_scale))
        self._check_labels()
        self._check_values()
        PrivacyCost(self.rho, self.epsilon, self.delta, self.mechanism)  # validates all four
        for name in ("epsilon", "delta", "rho"):
            object.__setattr__(self, name, float(getattr(self, name)))
        self._check_identity()

    def _check_labels(self) -> None:
        """Label names are distinct non-empty strings; every row has one label per name."""
        names = self.label_names
        distinct = len(set(names)) == len(names)
        if not (distinct and all(isinstance(name, str) and name for name in names)):
            raise InputError("label names must be distinct non-empty strings", field="label_names")
        if set(names) & set(RESERVED_COLUMNS):
            raise InputError(f"label names must not be {RESERVED_COLUMNS}", field="label_names")
        for row in self.row_labels:
            if len(row) != len(names) or not all(_is_label(label) for label in row):
                raise InputError(
                    f"every row needs {len(names)} labels, each a string or an integer",
                    field="row_labels",
                )

    def _check_values(self) -> None:
        """Per-value tuples align; suppressed ⇔ no value ⇔ no interval; a shown value's interval
        excludes zero and the value is at least the floor."""
        lengths = {len(getattr(self, n)) for n in ("values", "suppressed", "ci95", "draws")}
        if lengths != {len(self.row_labels)}:
            raise InputError("values, suppressed, ci95, draws and row_labels must align")
        if not all(_is_count(d) and d > 0 for d in self.draws):
            raise InputError("every value carries a positive number of noise draws", field="draws")
        if self.noise_sd and len(self.noise_sd) != len(self.row_labels):
            raise InputError("noise_sd is empty or has one entry per value", field="noise_sd")
        for sd in self.noise_sd:
            if sd is not None and not (isinstance(sd, float) and math.isfinite(sd) and sd > 0):
                raise InputError(
                    f"a noise standard deviation must be a positive float or None, not {sd!r}",
                    field="noise_sd",
                )
        rows = zip(self.values, self.suppressed, self.ci95, strict=True)
        for position, (value, hidden, half_width) in enumerate(rows):
            if hidden is not True and hidden is not False:
                raise InputError(f"suppression flag {position} must be a bool", field="suppressed")
            if hidden != (value is None) or hidden != (half_width is None):
                raise InputError(
                    f"value {position}: a suppressed value has neither a number nor an interval",
                    field="values",
                )
            if hidden:
                continue
            if not _is_count(half_width):
                raise InputError(f"ci95 {position} must be a non-negative integer", field="ci95")
            if not (_is_count(value) and value > half_width and value >= self.threshold):
                raise InputError(
                    f"value {position} must be an integer above its interval's half-width and at "
                    "least the floor: its interval must exclude zero",
                    field="values",
                )

    def _check_identity(self) -> None:
        """``created_at`` is ISO 8601 in UTC; ``release_id`` is a non-empty string."""
        try:
            moment = datetime.fromisoformat(self.created_at)
        except (TypeError, ValueError):
            raise InputError("created_at must be an ISO 8601 time", field="created_at") from None
        offset = moment.utcoffset()
        if offset is None or offset.total_seconds() != 0:
            raise InputError("created_at must be in UTC (+00:00)", field="created_at")
        if not isinstance(self.release_id, str) or not self.release_id.strip():
            raise InputError("release_id must be a non-empty string", field="release_id")

    def sum_half_width(self, positions: Iterable[int]) -> int:
        """The exact 95 % half-width of the sum of the values at ``positions`` (their draws).

        Refused (:class:`InputError`) for values with a ``noise_sd``: reconciled estimates are
        correlated, so the sum of their draws is not the law of their sum.
        """
        positions = list(positions)
        if any(self.noise_sd and self.noise_sd[p] is not None for p in positions):
            raise InputError(
                "reconciled two-level estimates are correlated: their sum has no interval here; "
                "sum the drawn cells' parent values instead"
            )
        draws = sum(self.draws[position] for position in positions)
        if draws == 0:
            return 0
        return noise_law(self.mechanism, self.noise_scale, draws).half_width()

    def to_frame(self) -> pd.DataFrame:
        """One row per value: the label columns, ``value`` and ``ci95`` (NA when suppressed),
        ``suppressed`` and ``draws``; ``attrs["noise"]`` holds the mechanism and scale, so sums of
        rows can be given their exact interval (:func:`engine.dp.sums.noise_law`)."""
        columns: dict[str, Any] = {
            name: [row[index] for row in self.row_labels]
            for index, name in enumerate(self.label_names)
        }
        columns["value"] = pd.array(self.values, dtype="Int64")
        columns["suppressed"] = pd.array(self.suppressed, dtype=bool)
        columns["ci95"] = pd.array(self.ci95, dtype="Int64")
        columns["draws"] = pd.array(self.draws, dtype="int64")
        frame = pd.DataFrame(columns)
        frame.attrs["noise"] = {"mechanism": self.mechanism, "scale": self.noise_scale}
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON-able Python values, tagged with :data:`RELEASE_FORMAT`."""
        return {"format": RELEASE_FORMAT, **asdict(self)}

    def to_json(self) -> str:
        """The release as JSON; :meth:`from_json` gives back an equal release."""
        return json.dumps(self.to_dict(), ensure_ascii=False, allow_nan=False, indent=1)

    @classmethod
    def from_json(cls, text: str | bytes) -> Release:
        """Read a release written by :meth:`to_json`."""
        try:
            data = json.loads(text)
        except ValueError:
            message = "release JSON cannot be parsed; restore it from the ledger"
            raise IntegrityError(message) from None
        found = data.pop("format", None) if isinstance(data, dict) else None
        if found != RELEASE_FORMAT:
            raise IntegrityError(
                f"not a release of format {RELEASE_FORMAT!r} (found {found!r}); a release made "
                "before the publication rule cannot be shown — run the query again"
            )
        expected = set(cls.__dataclass_fields__)
        if isinstance(data, dict):
            data.setdefault("noise_sd", [])  # written before two-level maps existed
        if set(data) != expected:
            raise IntegrityError(f"release JSON must have exactly the fields {sorted(expected)}")
        try:
            return cls(**data)
        except (InputError, TypeError) as error:
            raise IntegrityError(f"release JSON does not hold a valid release: {error}") from None

    def write(
        self,
        path: str | Path,
        *,
        geometry: Callable[[Mapping[str, Label]], shapely.Geometry] | None = None,
    ) -> Path:
        """Write by extension (.csv, .parquet, .geojson, .json) with metadata beside it."""
        from engine.dp.export import write_release  # export needs Release: imported lazily

        return write_release(self, Path(path), geometry=geometry)


def _is_label(label: object) -> bool:
    """A label is a string or an integer (a bool is neither)."""
    return isinstance(label, str) or (isinstance(label, int) and not isinstance(label, bool))


def _is_count(value: object) -> TypeGuard[int]:
    """A non-negative Python integer (a bool is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def build_release(
    noisy: Iterable[int],
    mechanism: NoiseMechanism,
    cost: PrivacyCost,
    *,
    row_labels: Sequence[Sequence[Label]],
    label_names: Sequence[str],
    query_spec: Mapping[str, Any],
    draws: Sequence[int] | None = None,
    noise_sd: Sequence[float | None] | None = None,
    threshold: int = DEFAULT_FLOOR,
    release_id: str | None = None,
    created_at: str | None = None,
) -> Release:
    """Apply the publication rule to decrypted noisy integers and assemble the :class:`Release`.

    ``cost`` is what the ledger charged; the mechanism that drew the noise must be of the same
    kind and must not spend more than it (ρ for gaussian, ε for laplace). ``draws[i]`` is how
    many independent draws of the mechanism value ``i`` carries (default one each; two per slot
    under protocol v2, more for values that sum slots); its interval is the exact one of that sum.
    ``noise_sd[i]``, where given (not ``None``), replaces that: value ``i`` is an estimate whose
    error has this standard deviation, and its interval and p-value use the normal law.
    """
    if mechanism.kind != cost.mechanism or mechanism.cost > cost.budget:
        raise ConfigError(
            f"the {mechanism.kind} noise spends more than the {cost.mechanism} cost charged for "
            "it; calibrate the mechanism from the charged cost (mechanism_for)"
        )
    noisy = list(noisy)
    counts = tuple(1 for _ in noisy) if draws is None else tuple(int(d) for d in draws)
    if len(counts) != len(noisy) or min(counts, default=1) < 1:
        raise InputError("every noisy value needs a positive number of noise draws", field="draws")
    sds = tuple(None for _ in noisy) if noise_sd is None else tuple(noise_sd)
    if len(sds) != len(noisy):
        raise InputError("noise_sd needs one entry per value", field="noise_sd")
    laws = [
        noise_law(mechanism.kind, mechanism.scale, count)
        if sd is None
        else normal_law(mechanism.kind, sd)
        for count, sd in zip(counts, sds, strict=True)
    ]
    shown = publish(noisy, laws, floor=threshold)
    return Release(
        values=shown.values,
        suppressed=shown.suppressed,
        ci95=shown.ci95,
        row_labels=tuple(tuple(row) for row in row_labels),
        label_names=tuple(label_names),
        mechanism=cost.mechanism,
        epsilon=cost.epsilon,
        delta=cost.delta,
        rho=cost.rho,
        threshold=threshold,
        query_spec=query_spec,
        noise_scale=mechanism.scale,
        draws=counts,
        noise_sd=() if noise_sd is None else tuple(None if sd is None else float(sd) for sd in sds),
        created_at=created_at or _utc_now(),
        release_id=release_id or _new_release_id(),
    )
