"""The one place that switches on OpenDP's vetted-but-not-yet-proven ("contrib") constructors.

The discrete Gaussian and discrete Laplace measurements and the zCDP→(ε, δ) conversion live behind
OpenDP's ``contrib`` feature flag. Enabling it is process-wide and idempotent; importing ``dp`` from
here guarantees it happened before any constructor is called. We enable nothing else (in
particular not ``honest-but-curious``, which would allow unchecked user-defined privacy maps).
"""

from __future__ import annotations

import opendp.prelude as dp

__all__ = ["INTEGER_TYPE", "dp"]

INTEGER_TYPE = "i64"  # OpenDP's ``int`` is i32; counts and noise are int64 everywhere else

dp.enable_features("contrib")
