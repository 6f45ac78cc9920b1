"""TLS between a party and the Dask cluster its work runs on.

The carrier ships its per-slot products to Dask workers: each task carries which payload slots its
records hold (the carrier's own location data) and the airline's indicator ciphertexts. On the
wire between client, scheduler and workers that is plaintext unless the cluster speaks TLS, so
Crossmesh never uses an unencrypted cluster beyond this machine:

* the ``LocalCluster`` a node starts for itself speaks ``tls://`` with throw-away certificates
  made in memory for that cluster alone (``distributed.Security.temporary``): nothing else, not
  even another cluster on the same machine, can join it or read its traffic;
* an existing cluster (``--scheduler`` / ``CROSSMESH_DASK_SCHEDULER``) is reached at a ``tls://``
  address with the party's certificates: ``CROSSMESH_DASK_TLS_CA``, ``CROSSMESH_DASK_TLS_CERT`` and
  ``CROSSMESH_DASK_TLS_KEY`` (PEM files), or Dask's own ``distributed.comm.tls`` configuration;
* a ``tcp://`` address is refused unless it is on this machine's loopback interface.

Each party runs its own cluster: no task of one party ever carries a key of the other, and no task
carries a Paillier private key at all (DESIGN §5), so a cluster holds nothing the party that runs
it could not already see.
"""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from foundation.errors import ConfigError

if TYPE_CHECKING:
    from distributed import Security

__all__ = ["TLS_ENV", "cluster_security", "throwaway_security"]

TLS_ENV = {
    "ca": "CROSSMESH_DASK_TLS_CA",
    "cert": "CROSSMESH_DASK_TLS_CERT",
    "key": "CROSSMESH_DASK_TLS_KEY",
}


def throwaway_security() -> Security:
    """Fresh in-memory certificates for one local cluster (mutual TLS, encryption required)."""
    from distributed import Security

    return Security.temporary()


def cluster_security(address: str) -> Security | None:
    """The security an existing cluster at ``address`` is reached with; ``None`` for loopback TCP.

    ConfigError for a ``tcp://`` address off this machine, or a ``tls://`` one without
    certificates, saying what to set.
    """
    from distributed import Security

    scheme = urlsplit(address).scheme or "tcp"
    if scheme == "tls":
        files = {name: os.environ.get(variable, "").strip() for name, variable in TLS_ENV.items()}
        if any(files.values()):
            missing = [TLS_ENV[name] for name, value in files.items() if not value]
            if missing:
                raise ConfigError(f"TLS to the Dask cluster needs {', '.join(missing)} as well")
            for name, path in files.items():
                if not os.path.isfile(path):
                    raise ConfigError(f"{TLS_ENV[name]} names {path}, which is not a file")
            return Security(
                tls_ca_file=files["ca"],
                tls_client_cert=files["cert"],
                tls_client_key=files["key"],
                require_encryption=True,
            )
        configured = Security(require_encryption=True)
        if not getattr(configured, "tls_ca_file", None):
            raise ConfigError(
                f"the Dask scheduler {address} speaks TLS: set {TLS_ENV['ca']}, {TLS_ENV['cert']} "
                f"and {TLS_ENV['key']} to this party's PEM files (docs/deployment.md)"
            )
        return configured
    if _on_loopback(address):
        return None
    raise ConfigError(
        f"refusing to send this party's work unencrypted to {address}: start the Dask scheduler "
        "and workers with tls:// and certificates, and give the tls:// address (docs/deployment.md)"
    )


def _on_loopback(address: str) -> bool:
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
