"""The deterministic synthetic world: an airline's and a mobile carrier's data, and the truth.

``generate(scale, seed, out)`` writes ``out/airline``, ``out/carrier``, ``out/truth`` and
``out/manifest.json``; the same scale and seed always give byte-identical files. The modules, in
the order the world is built:

* :mod:`~sample_data.scales` — the sizes (``tiny``, ``demo``, ``large``) in one table;
* :mod:`~sample_data.travel_calendar` — days of the window, holidays, travel demand;
* :mod:`~sample_data.geography` — homes, sights, lodging, area maps, distances;
* :mod:`~sample_data.phones`, :mod:`~sample_data.world` — people, members, subscribers;
* :mod:`~sample_data.flights`, :mod:`~sample_data.trips`, :mod:`~sample_data.donations`;
* :mod:`~sample_data.itinerary`, :mod:`~sample_data.movement` — where people are, observations;
* :mod:`~sample_data.presence`, :mod:`~sample_data.location_class`, :mod:`~sample_data.truth` —
  the carrier's views and the cross tables in plaintext (``docs/views.md`` is their spec);
* :mod:`~sample_data.party_tables`, :mod:`~sample_data.mess`, :mod:`~sample_data.writer` — the
  files as the parties hold them, with duplicates and malformed rows;
* :mod:`~sample_data.generator` — :func:`generate`, tying it together.
"""

from __future__ import annotations

from sample_data.generator import GenerationSummary, generate
from sample_data.scales import SCALES, Scale, scale_named

__all__ = ["SCALES", "GenerationSummary", "Scale", "generate", "scale_named"]
