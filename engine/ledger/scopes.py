"""Which scopes each party's ledger charges, and the check that a typed scope is one of them.

A scope is the budget of the people a ledger protects, for one calendar month of data:

* the **airline** protects its passengers, who appear only in cross releases:
  ``airline+carrier@YYYY-MM``;
* the **carrier** protects its subscribers, who appear in cross releases *and* in the carrier's
  own population releases. Both charge the one subscriber-month scope ``carrier@YYYY-MM``
  (with the match counts and the noisy scope sizes), so the carrier's ledger shows everything a
  subscriber's month has lost, whichever kind of release spent it (DESIGN §5).

:func:`scope_for_party` turns what someone typed into a :class:`Scope` of that party's ledger, or
refuses it naming the valid forms: a phantom scope would show a full, never-charged budget.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.ledger.values import Scope
from foundation.errors import InputError

__all__ = ["CROSS_PAIR", "LEDGER_PAIRS", "SUBSCRIBER_PAIR", "party_scopes", "scope_for_party"]

CROSS_PAIR = "airline+carrier"
SUBSCRIBER_PAIR = "carrier"
LEDGER_PAIRS: dict[str, tuple[str, ...]] = {
    "airline": (CROSS_PAIR,),
    "carrier": (SUBSCRIBER_PAIR,),
}


def _pairs(party: str) -> tuple[str, ...]:
    if party not in LEDGER_PAIRS:
        raise InputError(f"a party is 'airline' or 'carrier', not {party!r}", field="party")
    return LEDGER_PAIRS[party]


def party_scopes(party: str, months: Iterable[str]) -> tuple[Scope, ...]:
    """The scopes ``party``'s ledger charges for data of ``months`` (sorted, without repeats)."""
    (pair,) = _pairs(party)
    return tuple(Scope(pair, month) for month in sorted(set(months)))


def scope_for_party(party: str, text: str) -> Scope:
    """``text`` as a scope ``party``'s ledger charges, else InputError listing the valid forms."""
    forms = " or ".join(f"{pair}@YYYY-MM" for pair in _pairs(party))
    try:
        scope = Scope.parse(text)
    except InputError as error:
        raise InputError(
            f"{text!r} is not a scope of the {party}'s ledger ({error}); its scopes are {forms}",
            field="scope",
        ) from error
    if scope.pair not in _pairs(party):
        raise InputError(
            f"no release charges {text!r} in the {party}'s ledger; its scopes are {forms} "
            f"(e.g. {_pairs(party)[0]}@2025-08)",
            field="scope",
        )
    return scope
