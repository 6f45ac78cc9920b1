"""The dashboard's handle on its airline node: the facade's methods, over the node's local API.

:class:`AirlineClient` answers what the dashboard asks of
:class:`engine.service.CrossmeshService` — the data period, fitting and costing a spec,
releases, the ledger — with the same values (``WorkspaceStatus``, ``CostEstimate``,
``ReleaseSummary``, ``BudgetRow``, ``AuditEntry``, :class:`~engine.dp.Release`), but every
answer comes from the airline node (:mod:`engine.wire.airline_api`) over mutual TLS. It opens no
party folder, holds no key and no ledger. Release jobs run here (:class:`engine.jobs.ReleaseJobs`)
around the node's streaming ``Release`` call, so a page can start one and come back for it.

Before the first call the node's certificate is checked against its pinned fingerprint
(:mod:`engine.wire.pinning`); every call has a deadline and carries the API version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import grpc

from engine.dp import Release
from engine.jobs import JobStatus, ReleaseJobs
from engine.ledger.values import AuditAction, AuditEntry
from engine.queries import QuerySpec
from engine.service import BudgetRow, CostEstimate, ReleaseSummary, WorkspaceStatus
from engine.wire.airline_api import API_KEY, SERVICE, spec_of, spec_text
from engine.wire.api_messages import (
    API_VERSION,
    ApiMessage,
    Ask,
    CostView,
    LedgerView,
    Progress,
    ReleaseList,
    ReleaseRef,
    ReleaseText,
    SpecText,
    StatusView,
    decode_api,
    encode_api,
)
from engine.wire.certificates import NodeIdentity
from engine.wire.grpc_link import error_from_status
from engine.wire.pinning import check_pinned
from foundation.errors import ConfigError, CrossmeshError, ProtocolError

__all__ = ["AirlineClient"]

M = TypeVar("M")
CALL_TIMEOUT = 60.0
RELEASE_TIMEOUT = 3600.0


class AirlineClient:
    """The airline node at ``address`` whose certificate has ``node_fingerprint``, called with
    the dashboard's ``identity``."""

    def __init__(
        self,
        address: str,
        identity: NodeIdentity,
        node_fingerprint: str,
        *,
        call_timeout: float = CALL_TIMEOUT,
        release_timeout: float = RELEASE_TIMEOUT,
        api_version: int = API_VERSION,
    ) -> None:
        if identity.party != "dashboard":
            raise ConfigError(
                "the airline node is called with the dashboard's certificate, "
                f"not {identity.party}'s"
            )
        self.address = address
        self.identity = identity
        self.node_fingerprint = node_fingerprint
        self.call_timeout = call_timeout
        self.release_timeout = release_timeout
        self._metadata = ((API_KEY, str(api_version)),)
        credentials = grpc.ssl_channel_credentials(
            root_certificates=identity.authority_pem,
            private_key=identity.key_pem,
            certificate_chain=identity.certificate_pem,
        )
        limit = 128 * 2**20
        self._channel = grpc.secure_channel(
            address, credentials,
            [("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit)],
        )  # fmt: skip
        self._pinned = False
        self._serves_population = False
        self.jobs = ReleaseJobs(self.release)

    @property
    def serves_population(self) -> bool:
        """Whether the node offers the carrier's own population releases (it does when its
        carrier node answers for them); asked with the status until the node says yes."""
        if not self._serves_population:
            self.status()
        return self._serves_population

    # -- what the dashboard asks ------------------------------------------------------------
    def status(self) -> WorkspaceStatus:
        """The period inside both parties' data and the area source, as the node states it."""
        view = self._unary("Status", Ask(), StatusView)
        self._serves_population = view.serves_population
        return WorkspaceStatus(
            Path(f"airline node {self.address}"), Path("(the airline node's)"),
            view.scale or None, _date(view.start), _date(view.end), view.area_source,
            view.approximate_areas, view.credit or None,
        )  # fmt: skip

    def fit(self, spec: QuerySpec) -> QuerySpec:
        """``spec`` clipped to the data, by the node."""
        return spec_of(self._unary("Fit", spec_text(spec), SpecText))

    def estimate(self, spec: QuerySpec) -> CostEstimate:
        """What ``spec`` would spend and the budget left, before anything runs (the airline's;
        for a population spec the carrier's, as its node says)."""
        data = dict(self._unary("Estimate", spec_text(spec), CostView).estimate)
        data["scopes"] = tuple(data["scopes"])
        return CostEstimate(**data)

    def release(
        self, spec: QuerySpec, progress: Callable[[str, float], None] | None = None
    ) -> Release:
        """Run ``spec``'s release on the node (or have it served from the node's cache)."""
        tell = progress or (lambda _step, _fraction: None)
        self._pin()
        call = self._channel.unary_stream(f"/{SERVICE}/Release")
        try:
            for blob in call(
                encode_api(spec_text(spec)), timeout=self.release_timeout,
                metadata=self._metadata,
            ):  # fmt: skip
                update = decode_api(blob, (Progress, ReleaseText))
                if isinstance(update, ReleaseText):
                    return Release.from_json(update.release)
                tell(update.step, update.fraction)
        except grpc.RpcError as err:
            raise self._error(err, "Release") from None
        raise ProtocolError("the airline node ended a release without the release")

    def submit(self, spec: QuerySpec) -> JobStatus:
        """Start ``spec``'s release as a job here (see :mod:`engine.jobs`)."""
        return self.jobs.submit(spec)

    def job(self, spec: QuerySpec) -> JobStatus | None:
        """The job of ``spec`` if one was submitted here."""
        return self.jobs.status(spec.spec_hash)

    def wait(self, spec: QuerySpec, timeout: float | None = None) -> JobStatus | None:
        """Wait up to ``timeout`` seconds for ``spec``'s job."""
        return self.jobs.wait(spec.spec_hash, timeout)

    def cached_release(self, spec: QuerySpec) -> Release | None:
        """``spec``'s committed release from the node's ledger cache, or None; spends nothing."""
        text = self._unary("Cached", spec_text(spec), ReleaseText).release
        return Release.from_json(text) if text else None

    def releases(self) -> list[ReleaseSummary]:
        """Every committed release of the airline's ledger and the carrier's population
        releases (ids ``"c3"``), newest first."""
        items = self._unary("Releases", Ask(), ReleaseList).items
        return [ReleaseSummary(**{**item, "spec": dict(item["spec"])}) for item in items]

    def reopen(self, release_id: int | str) -> Release:
        """A past release, at no cost."""
        text = self._unary("Reopen", ReleaseRef(str(release_id)), ReleaseText).release
        return Release.from_json(text)

    def budgets(self) -> list[BudgetRow]:
        """Every budget scope of the airline's ledger."""
        return [BudgetRow(**row) for row in self._ledger(1).budgets]

    def audit(self, limit: int | None = 200) -> list[AuditEntry]:
        """The airline's audit log, oldest first (at most ``limit`` rows, 10000 if None)."""
        return [
            AuditEntry(**{**row, "action": AuditAction(row["action"])})
            for row in self._ledger(limit or 10_000).audit
        ]

    def close(self) -> None:
        """Let a running job finish, then close the channel."""
        self.jobs.close()
        self._channel.close()

    # -- calls ------------------------------------------------------------------------------
    def _ledger(self, limit: int) -> LedgerView:
        view: LedgerView = self._unary("Ledger", Ask(limit), LedgerView)
        return view

    def _pin(self) -> None:
        if not self._pinned:
            check_pinned(self.address, self.identity, self.node_fingerprint, "the airline node")
            self._pinned = True

    def _unary(self, method: str, message: ApiMessage, expected: type[M]) -> M:
        self._pin()
        call = self._channel.unary_unary(f"/{SERVICE}/{method}")
        try:
            blob = call(encode_api(message), timeout=self.call_timeout, metadata=self._metadata)
        except grpc.RpcError as err:
            raise self._error(err, method) from None
        answer: M = decode_api(blob, expected)
        return answer

    def _error(self, err: grpc.RpcError, method: str) -> CrossmeshError:
        code = err.code() if isinstance(err, grpc.Call) else grpc.StatusCode.UNKNOWN
        details = (err.details() if isinstance(err, grpc.Call) else "") or ""
        return error_from_status(code, details, f"airline node {self.address}, {method}")


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None
