"""Tests of TLS between a party and its Dask cluster (engine.cluster_security)."""

from __future__ import annotations

import operator
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from engine.cluster_security import TLS_ENV, cluster_security
from engine.parallel import DaskRunner, local_cluster
from foundation.errors import ConfigError


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """A party's own local cluster (in-process workers, to keep the test quick)."""
    with local_cluster(1, processes=False) as local:
        yield local


def test_a_local_cluster_speaks_tls_with_certificates_of_its_own(cluster: LocalCluster) -> None:
    assert cluster.scheduler_address.startswith("tls://")
    assert all(address.startswith("tls://") for address in cluster.scheduler_info["workers"])
    other = local_cluster(1, processes=False)
    try:  # two clusters never share a certificate authority
        assert other.security.tls_ca_file != cluster.security.tls_ca_file
    finally:
        other.close()


def test_an_outsider_without_its_certificates_cannot_submit_work(cluster: LocalCluster) -> None:
    """A client with no certificate, or with another cluster's, gets no connection."""
    with pytest.raises((OSError, TimeoutError, TypeError)):
        Client(cluster.scheduler_address, timeout=3, set_as_default=False)
    stranger = local_cluster(1, processes=False)
    try:
        with pytest.raises((OSError, TimeoutError)):
            Client(
                cluster.scheduler_address, timeout=3, set_as_default=False,
                security=stranger.security,
            )  # fmt: skip
    finally:
        stranger.close()


def test_an_existing_tls_cluster_is_reached_with_the_partys_certificate_files(
    cluster: LocalCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CROSSMESH_DASK_TLS_* name PEM files: the runner connects with them and runs tasks."""
    security = cluster.security
    pems = {"ca": security.tls_ca_file, "cert": security.tls_client_cert,
            "key": security.tls_client_key}  # fmt: skip
    for name, text in pems.items():
        (tmp_path / f"{name}.pem").write_text(text)
        monkeypatch.setenv(TLS_ENV[name], str(tmp_path / f"{name}.pem"))
    with DaskRunner(cluster.scheduler_address, startup_timeout=20) as runner:
        assert runner.map(operator.mul, list(range(6)), shared=(7,)) == [7 * i for i in range(6)]


def test_plain_tcp_off_this_machine_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"unencrypted.*tls://"):
        DaskRunner("tcp://10.0.0.5:8786")
    with pytest.raises(ConfigError, match="unencrypted"):
        cluster_security("scheduler.example:8786")
    assert cluster_security("tcp://127.0.0.1:8786") is None
    assert cluster_security("tcp://localhost:8786") is None


def test_tls_without_certificates_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for variable in TLS_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ConfigError, match=TLS_ENV["ca"]):
        cluster_security("tls://10.0.0.5:8786")
    monkeypatch.setenv(TLS_ENV["ca"], str(tmp_path / "ca.pem"))
    with pytest.raises(ConfigError, match=TLS_ENV["cert"]):
        cluster_security("tls://10.0.0.5:8786")
    monkeypatch.setenv(TLS_ENV["cert"], str(tmp_path / "cert.pem"))
    monkeypatch.setenv(TLS_ENV["key"], str(tmp_path / "key.pem"))
    with pytest.raises(ConfigError, match="not a file"):
        cluster_security("tls://10.0.0.5:8786")
