"""The airline node's local API for its dashboard: a gRPC service over mutual TLS.

The dashboard never opens a party folder in node mode; it asks the airline node, which holds the
airline's data, keys and ledger, over this service (:data:`SERVICE`, methods listed in
:mod:`engine.wire.api_messages`). As on the link between the nodes (:mod:`engine.wire.grpc_link`)
each method is a generic handler whose request and answer are the bytes of one typed message,
every call carries the API version in its metadata (:data:`API_KEY`), and the one client
admitted is the dashboard whose certificate — issued by the deployment's authority, checked by
TLS — has the pinned SHA-256 fingerprint. The node listens on 127.0.0.1 by default: the
dashboard runs on the airline's machine.

What the service answers is the facade's (:class:`engine.service.CrossmeshService` over a
:class:`~engine.nodes.NodeSession`) — published releases, the airline's ledger, costs, and for
the carrier's own population releases what its node tells the airline (the ρ it has left, its
published releases) — so nothing crosses here that the dashboard would not show. Errors cross
as in ``grpc_link``: a status whose details start with the error's class name; a bug crosses as
its type name only.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from typing import Any, Protocol

import grpc

from engine.dp import Release
from engine.queries import QuerySpec
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
from engine.wire.grpc_link import server_credentials
from engine.wire.pinned import PinnedGate
from foundation import errors
from foundation.errors import ConfigError

__all__ = [
    "API_KEY",
    "SERVICE",
    "AirlineService",
    "ApiServing",
    "DashboardFacade",
    "serve_airline_api",
    "spec_of",
    "spec_text",
]

SERVICE = "crossmesh.v2.Airline"
API_KEY = "crossmesh-api"
log = logging.getLogger(__name__)


class DashboardFacade(Protocol):
    """What the service asks of the airline's facade (:class:`engine.service.CrossmeshService`)."""

    @property
    def serves_population(self) -> bool: ...
    def status(self) -> Any: ...
    def fit(self, spec: QuerySpec) -> QuerySpec: ...
    def estimate(self, spec: QuerySpec) -> Any: ...
    def release(self, spec: QuerySpec, progress: Callable[[str, float], None]) -> Release: ...
    def cached_release(self, spec: QuerySpec) -> Release | None: ...
    def releases(self) -> list[Any]: ...
    def reopen(self, release_id: str) -> Release: ...
    def budgets(self) -> list[Any]: ...
    def audit(self, limit: int | None = 200) -> list[Any]: ...


def spec_text(spec: QuerySpec) -> SpecText:
    """A spec as the message that carries it (its canonical JSON)."""
    return SpecText(json.dumps(spec.canonical(), sort_keys=True))


def spec_of(message: SpecText) -> QuerySpec:
    """The spec a message carries (InputError if it is not a valid spec)."""
    data = json.loads(message.spec)  # the message checked it is JSON
    if not isinstance(data, dict):
        raise errors.InputError("a spec is a JSON object")
    try:
        return QuerySpec.from_canonical(data)
    except TypeError as err:
        raise errors.InputError("a spec with fields no query has") from err


def _plain(value: Any) -> dict[str, Any]:
    """A frozen dataclass of the facade as msgpack-able values (paths and dates as text)."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if dataclasses.is_dataclass(item):
            item = _plain(item)
        elif item is not None and not isinstance(item, str | int | float | bool | dict | tuple):
            item = str(item)
        out[field.name] = item
    return out


class AirlineService(grpc.GenericRpcHandler):
    """The airline's facade behind gRPC, for the one dashboard whose certificate is pinned."""

    def __init__(self, facade: DashboardFacade, dashboard_fingerprint: str) -> None:
        self.facade = facade
        self.gate = PinnedGate(
            node="airline node",
            version_key=API_KEY,
            version=API_VERSION,
            version_words="API version",
            caller="the dashboard",
            upgrade="run both from the same release",
            client="dashboard",
            pinned=dashboard_fingerprint,
            fix="check --dashboard-fingerprint and the dashboard's certificate",
            faults="api",
        )
        unary: dict[str, tuple[type[Any], Callable[[Any], ApiMessage]]] = {
            "Status": (Ask, self._status),
            "Fit": (SpecText, lambda m: spec_text(self.facade.fit(spec_of(m)))),
            "Estimate": (SpecText, lambda m: CostView(_plain(self.facade.estimate(spec_of(m))))),
            "Cached": (SpecText, self._cached),
            "Releases": (Ask, self._releases),
            "Reopen": (ReleaseRef, self._reopen),
            "Ledger": (Ask, self._ledger),
        }  # fmt: skip
        self._handlers: dict[str, grpc.RpcMethodHandler] = {
            f"/{SERVICE}/{name}": grpc.unary_unary_rpc_method_handler(self._unary(name, *pair))
            for name, pair in unary.items()
        }
        self._handlers[f"/{SERVICE}/Release"] = grpc.unary_stream_rpc_method_handler(self._release)

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        """The handler of one method of :data:`SERVICE` (None: unknown method)."""
        return self._handlers.get(handler_call_details.method)

    # -- answers ----------------------------------------------------------------------------
    def _status(self, _ask: Ask) -> StatusView:
        status = self.facade.status()
        return StatusView(
            status.scale or "",
            status.start.isoformat() if status.start else "",
            status.end.isoformat() if status.end else "",
            status.area_source,
            bool(status.approximate_areas),
            status.credit or "",
            bool(self.facade.serves_population),
        )

    def _cached(self, message: SpecText) -> ReleaseText:
        found = self.facade.cached_release(spec_of(message))
        return ReleaseText("" if found is None else found.to_json())

    def _reopen(self, message: ReleaseRef) -> ReleaseText:
        return ReleaseText(self.facade.reopen(message.release_id).to_json())

    def _releases(self, _ask: Ask) -> ReleaseList:
        return ReleaseList(tuple(_plain(summary) for summary in self.facade.releases()))

    def _ledger(self, ask: Ask) -> LedgerView:
        budgets = tuple(_plain(row) for row in self.facade.budgets())
        return LedgerView(budgets, tuple(_plain(row) for row in self.facade.audit(ask.limit)))

    def _release(self, request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        """Run the release in a worker thread; stream its progress, then the release itself."""
        try:
            self.gate.admit("Release", context)
            spec = spec_of(decode_api(request, SpecText))
        except Exception as err:
            self.gate.fail("Release", err, context)
        updates: queue.Queue[Progress | ReleaseText | BaseException] = queue.Queue()

        def run() -> None:
            try:
                release = self.facade.release(
                    spec, lambda step, fraction: updates.put(Progress(step, min(1.0, fraction)))
                )
                updates.put(ReleaseText(release.to_json()))
            except BaseException as err:  # handed to the stream below
                updates.put(err)

        threading.Thread(target=run, name="airline-release", daemon=True).start()
        while True:
            update = updates.get()
            if isinstance(update, BaseException):
                self.gate.fail("Release", update, context)
            yield encode_api(update)
            if isinstance(update, ReleaseText):
                return

    def _unary(
        self, method: str, kind: type[Any], answer: Callable[[Any], ApiMessage]
    ) -> Callable[[bytes, grpc.ServicerContext], bytes]:
        def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
            try:
                self.gate.admit(method, context)
                return encode_api(answer(decode_api(request, kind)))
            except Exception as err:
                self.gate.fail(method, err, context)

        return handle


@dataclass(frozen=True)
class ApiServing:
    """A running airline API: its gRPC server and the port it listens on."""

    server: grpc.Server
    port: int

    def stop(self, grace: float | None = None) -> None:
        """Stop answering (calls under way get ``grace`` seconds)."""
        self.server.stop(grace).wait()


def serve_airline_api(
    facade: DashboardFacade,
    identity: NodeIdentity,
    dashboard_fingerprint: str,
    listen: str,
    max_message_bytes: int = 128 * 2**20,
) -> ApiServing:
    """Start the airline's API on ``listen`` (``host:port``, port 0: any)."""
    options = [
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.max_receive_message_length", max_message_bytes),
    ]
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="airline-api"),
        handlers=[AirlineService(facade, dashboard_fingerprint)],
        options=options,
    )
    port = server.add_secure_port(listen, server_credentials(identity))
    if port == 0:
        raise ConfigError(f"the airline node cannot listen on {listen}; is the port in use?")
    server.start()
    return ApiServing(server, port)
