"""One person = one normalised phone: IDs that share a phone are merged into one person.

Why: every contribution bound (trips per member, cells per subscriber-day, groups per person) is
what the noise is calibrated to, and it must hold per *person*. The private join matches on the
normalised phone, so the phone is the person both parties can see; two member IDs (or two
subscriber IDs) with one phone would otherwise let that person contribute twice the bound, and on
the carrier's side the second ID's records would collide with the first's on the same join key.

The rule, the same on both sides and documented in README "Data formats":

* IDs sharing a normalised phone become one person, named by the **smallest** of their IDs (the
  canonical ID); the canonical row's other fields (age band, home municipality, …) are kept;
* every row of the dependent tables (boardings, donations, observations) is relabelled to the
  canonical ID, so the bounds then apply to the merged person;
* on the carrier's side the person has opted out if **any** of the merged IDs opted out (or has no
  flag): the conservative reading of a subscriber's wish;
* the merge is counted — IDs seen, persons kept, IDs merged — and reported as a warning on the
  identity file; no ID or phone is ever printed.

Map: :class:`IdentityMerge` (the counts), :func:`merge_by_phone` (the canonical ID per row).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from engine.inputs.report import FileWarning

__all__ = ["IdentityMerge", "merge_by_phone", "relabel"]

PHONE = "phone_e164"


@dataclass(frozen=True)
class IdentityMerge:
    """How many IDs one identity file had, and how many persons they are once merged by phone."""

    file: str
    ids: int
    persons: int

    def __post_init__(self) -> None:
        if not 0 <= self.persons <= self.ids:
            raise ValueError(f"{self.file}: persons must be between 0 and the IDs ({self.ids})")

    @property
    def merged_ids(self) -> int:
        """IDs folded into another ID because they share its phone."""
        return self.ids - self.persons

    def warning(self) -> FileWarning | None:
        """The report line for a merge, or ``None`` when every phone has one ID."""
        if not self.merged_ids:
            return None
        return FileWarning(
            self.file,
            PHONE,
            f"{self.merged_ids} ID(s) share a phone number with another ID and were merged into "
            "it (one person = one phone; the smallest ID is kept, see README 'Data formats')",
        )


def merge_by_phone(
    frame: pd.DataFrame, id_column: str, file: str
) -> tuple[pd.Series, IdentityMerge]:
    """Return the canonical ID of each row of ``frame`` (indexed by ID) and the merge counts.

    The result maps every ID in ``frame`` to the smallest ID with the same normalised phone.
    """
    ids = frame[id_column].astype(str)
    canonical = ids.groupby(frame[PHONE].to_numpy(), sort=False).transform("min")
    mapping = pd.Series(canonical.to_numpy(), index=ids.to_numpy(), name=id_column)
    return mapping, IdentityMerge(file, len(ids), int(canonical.nunique()))


def relabel(frame: pd.DataFrame, id_column: str, mapping: pd.Series) -> pd.DataFrame:
    """``frame`` with ``id_column`` replaced by the canonical IDs of ``mapping`` (unknown kept)."""
    if frame.empty or not (mapping.index != mapping.to_numpy()).any():
        return frame
    relabelled = frame.copy()
    column = relabelled[id_column].astype(str)
    relabelled[id_column] = column.map(mapping).fillna(column)
    return relabelled
