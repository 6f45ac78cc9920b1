"""Tests of post-processing: clamping at zero and suppression (engine.dp.postprocess)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.dp.postprocess import DEFAULT_THRESHOLD, PostProcessed, postprocess
from foundation.errors import InputError


def test_default_threshold_is_ten() -> None:
    """Values below 10 are suppressed unless told otherwise."""
    assert DEFAULT_THRESHOLD == 10
    assert postprocess([9, 10]).suppressed == (True, False)


def test_negative_values_are_clamped_then_suppressed() -> None:
    """A negative noisy value becomes 0, which is below any positive threshold."""
    result = postprocess([-5, 0, 12, 10, 9, 250])
    assert result.values == (None, None, 12, 10, None, 250)
    assert result.suppressed == (True, True, False, False, True, False)


def test_threshold_zero_only_clamps() -> None:
    """With threshold 0 nothing is suppressed and negatives publish as 0."""
    assert postprocess([-5, 3], threshold=0) == PostProcessed((0, 3), (False, False))


def test_numpy_integers_are_accepted_and_become_python_ints() -> None:
    """Decrypted values may arrive as an int64 array; the output holds plain ints."""
    result = postprocess(np.array([15, -2, 40], dtype=np.int64), threshold=5)
    assert result.values == (15, None, 40)
    assert all(type(value) is int for value in result.values if value is not None)


@pytest.mark.parametrize("bad", [1.0, 12.5, True, "12", None])
def test_non_integers_are_refused(bad: object) -> None:
    """Floats (a sign of float noise), bools and strings are refused, not rounded."""
    with pytest.raises(InputError, match="position 1"):
        postprocess([20, bad])  # type: ignore[list-item]


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_bad_thresholds_are_refused(bad: object) -> None:
    """The threshold is a non-negative integer."""
    with pytest.raises(InputError, match="threshold"):
        postprocess([20], threshold=bad)  # type: ignore[arg-type]


def test_a_suppressed_value_carries_no_number() -> None:
    """PostProcessed refuses a value next to a suppression flag."""
    with pytest.raises(InputError):
        PostProcessed((5,), (True,))
