"""Phone numbers to E.164: the one identity both parties share.

Why this matters: the private join matches a member and a subscriber only if both parties turn the
same phone into the same bytes. People write one number in many ways (``090-1234-5678``,
``+81 90 1234 5678``, ``0081-90-...``, full-width ``０９０－１２３４－５６７８``), so each party
normalises to E.164 (``+819012345678``) before hashing. Only Japanese *mobile* numbers are kept: a
landline or a toll-free number cannot belong to a carrier subscriber, so it can never match.

How: NFKC (full-width digits and hyphens become ASCII), then separators (spaces, dashes of every
kind, parentheses, dots) are removed and an international ``00`` prefix becomes ``+``. What remains
is classified by ``phonenumbers``. A fast path recognises the common shapes (``0`` or ``+81``
followed by a mobile national number) with the mobile pattern taken from ``phonenumbers``' own
metadata, so it agrees with the library by construction; everything else goes through a cached
``phonenumbers.parse``. The Series helper works on unique values only.

Map of the module:

* :func:`normalize_phone` — one number, raises :class:`~foundation.errors.InputError`;
* :func:`normalize_phone_series` — a pandas Series to ``(normalised, reason)`` Series;
* :data:`NOT_MOBILE` and friends — the reasons, which never contain the number itself.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd
import phonenumbers

from foundation.errors import InputError

__all__ = [
    "EMPTY",
    "NOT_JAPANESE",
    "NOT_MOBILE",
    "NOT_PHONE",
    "NOT_VALID",
    "normalize_phone",
    "normalize_phone_series",
]

EMPTY = "is empty; every row needs a phone number"
NOT_PHONE = "contains characters other than digits, spaces, hyphens, parentheses and a leading +"
NOT_JAPANESE = "is not a Japanese number (the country code must be +81)"
NOT_VALID = (
    "is not a valid Japanese mobile number (expected e.g. 090-1234-5678 or +81 90 1234 5678)"
)
NOT_MOBILE = "is a Japanese landline or service number, not a mobile number (060/070/080/090)"

# Dashes people type instead of '-', including those NFKC leaves alone (ー, −, ‐, –, —).
_SEPARATORS = r"[\s\-\u2010-\u2015\u2212\u30fc\uff70().\u00b7/]"
_SEPARATOR_RE = re.compile(_SEPARATORS)


def _mobile_national_pattern() -> str:
    """The Japanese mobile national-number pattern from ``phonenumbers``' metadata."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("JP")
    mobile = metadata.mobile if metadata is not None else None
    if mobile is None or mobile.national_number_pattern is None:
        raise ImportError("phonenumbers has no Japanese mobile metadata; reinstall phonenumbers")
    return mobile.national_number_pattern


_MOBILE_NATIONAL = _mobile_national_pattern()
# Common shapes: national "0" + mobile number, or "+81" (optionally "(0)") + mobile number.
_FAST_RE = re.compile(rf"^(?:0|\+810?)({_MOBILE_NATIONAL})$")
_MOBILE_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)


def _clean(raw: str) -> str:
    """NFKC, drop separators, turn an international ``00`` prefix into ``+``."""
    text = _SEPARATOR_RE.sub("", unicodedata.normalize("NFKC", raw))
    return "+" + text[2:] if text.startswith("00") else text


@functools.lru_cache(maxsize=65_536)
def _classify(cleaned: str) -> tuple[str | None, str | None]:
    """Return ``(e164, None)`` for a Japanese mobile number, else ``(None, reason)``."""
    if not cleaned:
        return None, EMPTY
    if not re.fullmatch(r"\+?\d+", cleaned):
        return None, NOT_PHONE
    fast = _FAST_RE.match(cleaned)
    if fast:
        return "+81" + fast.group(1), None
    return _classify_slowly(cleaned)


def _classify_slowly(cleaned: str) -> tuple[str | None, str | None]:
    """Ask ``phonenumbers`` about a number the fast path did not recognise."""
    try:
        number = phonenumbers.parse(cleaned, "JP")
    except phonenumbers.NumberParseException:
        return None, NOT_VALID
    if number.country_code != 81:
        return None, NOT_JAPANESE
    if not phonenumbers.is_valid_number(number):
        return None, NOT_VALID
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return None, NOT_MOBILE
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def normalize_phone(raw: str) -> str:
    """Return the E.164 form of a Japanese mobile number written in any common format.

    Raises :class:`InputError` (field ``phone``) for anything else; the message never contains the
    number.
    """
    e164, reason = _classify(_clean(raw))
    if e164 is None:
        raise InputError(f"phone number {reason}", field="phone")
    return e164


def normalize_phone_series(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalise a Series of phone numbers; return ``(e164, reason)`` aligned with ``raw``.

    ``e164`` holds the E.164 string or NA; ``reason`` holds NA where the number is good and the
    rejection reason (without the number) where it is not. Missing values count as empty. Work is
    done once per distinct value, so repeated numbers cost nothing.
    """
    text = raw.astype("string").fillna("")
    uniques = pd.unique(text.to_numpy(dtype=object))
    classified = {value: _classify(_clean(value)) for value in uniques}
    e164 = text.map({value: result[0] for value, result in classified.items()})
    reason = text.map({value: result[1] for value, result in classified.items()})
    return e164.astype("string"), reason.astype("string")
