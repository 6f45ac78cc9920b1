"""Tests of the Release value: building, validation, frame and JSON (engine.dp.release)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest

from engine.dp.accounting import PrivacyCost
from engine.dp.bounds import ContributionBounds
from engine.dp.mechanisms import NoiseMechanism, mechanism_for
from engine.dp.release import RELEASE_FORMAT, Release, build_release
from engine.dp.sums import noise_law
from foundation.errors import ConfigError, InputError, IntegrityError

BOUNDS = ContributionBounds(max_groups=3, max_records_per_group=1, max_nonzero_per_record=2)
COST = PrivacyCost.from_epsilon(1.0)
MECHANISM = mechanism_for(COST, BOUNDS)
SPEC = {"view": "presence", "region": "east_hokkaido", "days": (0, 1, 2), "level": 2}


def sample_release(**changes: Any) -> Release:
    """A small release by day offset and municipality, with two suppressed values."""
    arguments: dict[str, Any] = {
        "row_labels": [(0, "01206"), (0, "01207"), (1, "01206"), (1, "01207")],
        "label_names": ["day_offset", "municipality_code"],
        "query_spec": SPEC,
    }
    arguments.update(changes)
    return build_release([42, 3, -8, 1500], MECHANISM, COST, **arguments)


def test_build_release_post_processes_and_attaches_intervals() -> None:
    """Published values carry their 95 % half-width — the plain one far above the cut-off, a
    wider one (selection-adjusted) near it; suppressed ones carry nothing."""
    release = sample_release()
    assert release.values == (42, None, None, 1500)
    assert release.suppressed == (False, True, True, False)
    assert release.ci95[3] == MECHANISM.ci95
    assert release.ci95[0] is not None and MECHANISM.ci95 <= release.ci95[0] < 42
    assert (release.epsilon, release.delta, release.rho) == (1.0, 1e-6, COST.rho)
    assert (release.mechanism, release.threshold) == ("gaussian", 0)
    assert release.draws == (1, 1, 1, 1)
    assert release.noise_scale == MECHANISM.scale


def test_json_round_trip_is_exact() -> None:
    """from_json(to_json()) equals the release, and writing it again gives the same text."""
    release = sample_release()
    text = release.to_json()
    again = Release.from_json(text)
    assert again == release
    assert again.to_json() == text
    assert json.loads(text)["format"] == RELEASE_FORMAT


def test_query_spec_is_stored_as_canonical_json() -> None:
    """Tuples become lists and keys are sorted, so the spec survives JSON unchanged."""
    spec = sample_release().query_spec
    assert spec == {"days": [0, 1, 2], "level": 2, "region": "east_hokkaido", "view": "presence"}
    assert list(spec) == sorted(spec)


def test_created_at_is_utc_and_release_ids_differ() -> None:
    """created_at is ISO 8601 with a zero offset; each release gets its own ID."""
    first, second = sample_release(), sample_release()
    assert first.created_at.endswith("+00:00")
    assert first.release_id != second.release_id


def test_to_frame_has_labels_values_flags_and_intervals() -> None:
    """The frame has one row per value and NA where a value is suppressed."""
    frame = sample_release().to_frame()
    assert list(frame.columns) == [
        "day_offset",
        "municipality_code",
        "value",
        "suppressed",
        "ci95",
        "draws",
    ]
    assert frame["value"].dtype == "Int64" and frame["ci95"].dtype == "Int64"
    assert frame["value"].isna().tolist() == [False, True, True, False]
    assert frame["suppressed"].tolist() == [False, True, True, False]
    assert frame.loc[3, "value"] == 1500
    assert frame["municipality_code"].tolist() == ["01206", "01207", "01206", "01207"]
    assert pd.api.types.is_integer_dtype(frame["day_offset"])


def test_a_mechanism_that_spends_more_than_charged_is_refused() -> None:
    """Noise calibrated to a larger budget than the ledger charged cannot be released."""
    greedy = NoiseMechanism("gaussian", MECHANISM.scale / 2, BOUNDS)
    with pytest.raises(ConfigError, match="spends more"):
        build_release([20], greedy, COST, row_labels=[("a",)], label_names=["x"], query_spec={})
    laplace = mechanism_for(PrivacyCost.from_epsilon(1.0, mechanism="laplace"), BOUNDS)
    with pytest.raises(ConfigError):
        build_release([20], laplace, COST, row_labels=[("a",)], label_names=["x"], query_spec={})


@pytest.mark.parametrize(
    "changes",
    [
        {"values": (42, 5, None, 1500)},  # a value where it is suppressed
        {"values": (MECHANISM.ci95, None, None, 1500)},  # its interval reaches 0
        {"threshold": 50},  # 42 is below the floor
        {"draws": (1, 1, 0, 1)},  # a value with no noise
        {"draws": (1, 1, 1)},  # draws do not align
        {"noise_scale": 0.0},
        {"ci95": (None, None, None, 3)},  # no interval on a published value
        {"suppressed": (0, 1, 1, 0)},  # flags must be bools
        {"label_names": ("value", "municipality_code")},  # reserved column
        {"label_names": ("x", "x")},
        {"row_labels": ((0,), (0,), (1,), (1,))},  # too few labels per row
        {"row_labels": ((0, 1.5), (0, "a"), (1, "a"), (1, "b"))},  # float label
        {"values": (42, None, None)},  # lengths differ
        {"created_at": "2025-01-01T09:00:00+09:00"},
        {"created_at": "yesterday"},
        {"release_id": " "},
        {"delta": 0.0},
        {"query_spec": {"when": object()}},
        {"query_spec": {"x": float("nan")}},
    ],
)
def test_malformed_releases_cannot_be_built(changes: dict[str, Any]) -> None:
    """Every release invariant is checked on construction."""
    with pytest.raises(InputError):
        replace(sample_release(), **changes)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        json.dumps({"format": "something/else"}),
        json.dumps({"format": RELEASE_FORMAT, "values": []}),
    ],
)
def test_unreadable_release_json_raises_integrity_error(text: str) -> None:
    """JSON that is not a release is reported as an integrity problem."""
    with pytest.raises(IntegrityError):
        Release.from_json(text)


def test_tampered_release_json_raises_integrity_error() -> None:
    """A stored release edited to show a suppressed value fails to load."""
    data = json.loads(sample_release().to_json())
    data["values"][1] = 3
    with pytest.raises(IntegrityError, match="suppressed"):
        Release.from_json(json.dumps(data))


def test_build_release_gives_summed_values_the_interval_of_their_draws() -> None:
    """A value carrying k draws gets the exact half-width of the k-fold sum, and sums of shown
    values can be given theirs from the release alone."""
    arguments = {"row_labels": [(0, "a"), (0, "b"), (1, "a"), (1, "b")], "query_spec": SPEC}
    release = build_release(
        [900, 3, -8, 1500], MECHANISM, COST, label_names=["day_offset", "m"], draws=[2, 2, 2, 8],
        **arguments,
    )  # fmt: skip
    assert release.draws == (2, 2, 2, 8)
    two, eight = (noise_law("gaussian", MECHANISM.scale, d).half_width() for d in (2, 8))
    assert release.ci95 == (two, None, None, eight)
    assert release.sum_half_width([0, 3]) == noise_law("gaussian", MECHANISM.scale, 10).half_width()


def test_a_release_of_the_old_format_is_refused_with_advice() -> None:
    """A release made before the publication rule (format /1) is not shown; the message says why."""
    data = json.loads(sample_release().to_json())
    data["format"] = "crossmesh.release/1"
    with pytest.raises(IntegrityError, match="run the query again"):
        Release.from_json(json.dumps(data))


def test_estimates_with_a_noise_sd_use_its_normal_law_and_round_trip() -> None:
    """A value with ``noise_sd`` gets the normal interval of that deviation; JSON is exact."""
    release = sample_release(noise_sd=[None, None, None, 250.5])
    # plain: the exact law of its draws (wider near the cut-off: selection-adjusted)
    assert release.ci95[0] is not None and release.ci95[0] >= MECHANISM.ci95
    normal = math.ceil(1.959963984540054 * 250.5 - 0.5)  # the normal law of its deviation
    assert release.ci95[3] is not None and normal <= release.ci95[3] <= 1.02 * normal
    assert release.noise_sd == (None, None, None, 250.5)
    again = Release.from_json(release.to_json())
    assert again == release and again.to_json() == release.to_json()


def test_a_sum_over_reconciled_estimates_is_refused() -> None:
    """Reconciled estimates are correlated: sum_half_width refuses them, not the plain ones."""
    release = sample_release(noise_sd=[None, None, None, 250.5])
    assert release.sum_half_width([0]) == MECHANISM.ci95
    with pytest.raises(InputError, match="correlated"):
        release.sum_half_width([0, 3])


@pytest.mark.parametrize("noise_sd", [(1.0,), (None, None, None, -1.0), (None, None, None, 3)])
def test_a_malformed_noise_sd_is_refused(noise_sd: tuple[Any, ...]) -> None:
    """noise_sd is empty or aligned, each entry None or a positive float."""
    with pytest.raises(InputError, match=r"noise_sd|standard deviation"):
        replace(sample_release(), noise_sd=noise_sd)


def test_a_release_written_before_noise_sd_still_reads() -> None:
    """A /2 release without the ``noise_sd`` field reads as one without estimates."""
    data = json.loads(sample_release().to_json())
    del data["noise_sd"]
    assert Release.from_json(json.dumps(data)).noise_sd == ()
