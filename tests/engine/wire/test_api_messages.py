"""The airline API's messages: typed, versioned, checked when built and again on arrival."""

from __future__ import annotations

import msgpack
import pytest

from engine.wire.api_messages import (
    API_VERSION,
    Ask,
    LedgerView,
    Progress,
    ReleaseRef,
    ReleaseText,
    SpecText,
    StatusView,
    decode_api,
    encode_api,
)
from foundation.errors import ProtocolError


def test_round_trip_and_alternatives() -> None:
    """A message decodes to an equal one, as its own type or as one of several expected."""
    view = LedgerView(({"scope": "airline+carrier@2025-08", "total_rho": 0.5},), ())
    assert decode_api(encode_api(view), LedgerView) == view
    update = Progress("scope", 0.3)
    assert decode_api(encode_api(update), (Progress, ReleaseText)) == update


def test_another_version_kind_or_field_is_refused() -> None:
    """Another API version, an unexpected kind, unknown fields and garbage: ProtocolError."""
    other = msgpack.packb([API_VERSION + 1, "ask", {"limit": 5}], use_bin_type=True)
    with pytest.raises(ProtocolError, match="API version"):
        decode_api(other, Ask)
    with pytest.raises(ProtocolError, match="expected a ask message, got spec_text"):
        decode_api(encode_api(SpecText("{}")), Ask)
    extra = msgpack.packb([API_VERSION, "ask", {"limit": 5, "who": "x"}], use_bin_type=True)
    with pytest.raises(ProtocolError, match="unexpected fields"):
        decode_api(extra, Ask)
    with pytest.raises(ProtocolError, match="not a Crossmesh API message"):
        decode_api(b"\xc1garbage", Ask)


def test_values_are_checked_when_built() -> None:
    """Specs and releases are JSON, limits and fractions bounded, release ids short."""
    with pytest.raises(ProtocolError, match="JSON"):
        SpecText("{not json")
    with pytest.raises(ProtocolError, match="JSON"):
        ReleaseText("[")
    assert ReleaseText("").release == ""  # a cache miss
    with pytest.raises(ProtocolError, match="audit limit"):
        Ask(0)
    with pytest.raises(ProtocolError, match="fraction"):
        Progress("sums", 1.5)
    with pytest.raises(ProtocolError, match="short"):
        ReleaseRef("9" * 40)


def test_a_status_without_the_population_field_offers_none() -> None:
    """A node of an older release sends no ``serves_population``: population is not offered."""
    fields = {
        "scale": "tiny", "start": "2025-08-01", "end": "2025-08-14",
        "area_source": "approximate", "approximate_areas": True, "credit": "",
    }  # fmt: skip
    older = msgpack.packb([API_VERSION, "status_view", fields], use_bin_type=True)
    assert decode_api(older, StatusView).serves_population is False
    newer = StatusView(**fields, serves_population=True)  # type: ignore[arg-type]
    assert decode_api(encode_api(newer), StatusView).serves_population is True
