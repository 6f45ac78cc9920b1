"""The carrier's payload views: per (subscriber, period) 0/1 vectors over fixed domains.

The carrier keeps one plaintext vector per record in its own environment (DESIGN §3–4, protocol
v2: nothing is encrypted ahead); this package builds those
vectors in plaintext. Modules, in the order data flows through them:

* :mod:`~engine.views.domains` — the families and their slot layouts, declared before any data;
* :mod:`~engine.views.prepare` — opt-outs dropped, observations' periods, cells, municipalities and
  location classes computed once;
* :mod:`~engine.views.presence` (region day views), :mod:`~engine.views.history` (prior visit
  days), :mod:`~engine.views.departure` (class per slot time), :mod:`~engine.views.monthly`
  (visited municipalities per month) — each gives records and their slots;
* :mod:`~engine.views.table` — :class:`PayloadTable`, the sparse result;
* :mod:`~engine.views.build` — the orchestration.
"""

from engine.views.build import (
    build_all_payloads,
    build_all_payloads_by_people,
    build_payloads,
    parse_periods,
    payloads_from_prepared,
)
from engine.views.domains import (
    AGE_BANDS,
    GENDERS,
    HOURS,
    K_AREA,
    K_MESH,
    LOCATION_CLASSES,
    PRIOR_BUCKETS,
    SLOT_TIMES,
    UNKNOWN,
    WINDOW_MINUTES,
    SlotBlock,
    ViewFamily,
    demographic_labels,
    view_families,
    view_family,
)
from engine.views.prepare import PreparedObservations, nationwide_home_map, prepare_observations
from engine.views.table import PayloadTable

__all__ = [
    "AGE_BANDS",
    "GENDERS",
    "HOURS",
    "K_AREA",
    "K_MESH",
    "LOCATION_CLASSES",
    "PRIOR_BUCKETS",
    "SLOT_TIMES",
    "UNKNOWN",
    "WINDOW_MINUTES",
    "PayloadTable",
    "PreparedObservations",
    "SlotBlock",
    "ViewFamily",
    "build_all_payloads",
    "build_all_payloads_by_people",
    "build_payloads",
    "demographic_labels",
    "nationwide_home_map",
    "parse_periods",
    "payloads_from_prepared",
    "prepare_observations",
    "view_families",
    "view_family",
]
