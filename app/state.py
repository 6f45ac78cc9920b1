"""Session state of the dashboard: the language, the one cached service, the releases on screen.

The app never holds party data. What it keeps between reruns is deliberately small:

* the language (``ja`` by default) — :func:`language`, :func:`tr`;
* the map of municipalities (:func:`area_map`: imported N03 boundaries, else the built-in
  approximation), reference data shared by every session;
* one service shared by every session through ``st.cache_resource`` — :func:`service`. By
  default (the embedded demo and the tests) a :class:`engine.service.CrossmeshService` per
  (workspace, data folder), named by ``CROSSMESH_WORKSPACE`` and ``CROSSMESH_DATA``
  (:func:`workspace_paths`). With ``CROSSMESH_NODE=HOST:PORT`` the dashboard is a client of the
  airline's node instead (:class:`engine.nodes.airline_client.AirlineClient`, the same methods):
  it then opens no party folder at all, only the dashboard's certificate and key and the
  deployment's authority in ``CROSSMESH_NODE_CERTS`` (``dashboard.pem``, ``dashboard.key``,
  ``ca.pem``), and pins the node's certificate by ``CROSSMESH_NODE_FINGERPRINT`` (else the
  airline's entry of that folder's ``fingerprints.json``);
* released values only: a page remembers the release it shows in the user's session
  (:func:`remember`, :func:`remembered`), and a past release reopened from the ledger is read
  through :func:`cached_release`, which caches its published JSON (``st.cache_data``) — the same
  bytes anyone can reopen from the ledger at no cost.

Tests replace :func:`open_service` (the only place that touches the engine facade) or point
``CROSSMESH_NODE`` at a node.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, text

if TYPE_CHECKING:
    from engine.dp import Release

__all__ = [
    "DEFAULT_DATA",
    "DEFAULT_WORKSPACE",
    "LANGUAGE_KEY",
    "NODE_CERTS_ENV",
    "NODE_ENV",
    "NODE_FINGERPRINT_ENV",
    "area_map",
    "cached_release",
    "language",
    "node_address",
    "open_node_service",
    "open_service",
    "remember",
    "remembered",
    "service",
    "tr",
    "workspace_paths",
]

DEFAULT_WORKSPACE = Path("workspace")
DEFAULT_DATA = Path("data/demo")
LANGUAGE_KEY = "lang"
NODE_ENV = "CROSSMESH_NODE"
NODE_CERTS_ENV = "CROSSMESH_NODE_CERTS"
NODE_FINGERPRINT_ENV = "CROSSMESH_NODE_FINGERPRINT"
_RELEASE_KEY = "release:"


def language() -> str:
    """The language the user chose in the sidebar (Japanese until they choose)."""
    chosen = st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def tr(key: str, **values: Any) -> str:
    """The text of ``key`` in the user's language, with ``values`` filled in."""
    return text(key, language(), **values)


@st.cache_resource(show_spinner=False)
def area_map() -> Any:
    """Which municipality a cell lies in: imported N03 boundaries, else the approximation."""
    from geo.areas import DEFAULT_GEO_DIR, load_area_map

    return load_area_map(DEFAULT_GEO_DIR)


def workspace_paths() -> tuple[Path, Path]:
    """The workspace and the data folder the dashboard reads (from the environment)."""
    workspace = Path(os.environ.get("CROSSMESH_WORKSPACE", DEFAULT_WORKSPACE))
    data_dir = Path(os.environ.get("CROSSMESH_DATA", DEFAULT_DATA))
    return workspace, data_dir


def open_service(workspace: Path, data_dir: Path) -> Any:
    """Open the engine facade on a prepared workspace (the app's only door to the engine)."""
    from engine.service import CrossmeshService  # imported late: the engine is heavy

    return CrossmeshService.open(workspace, data_dir)


def node_address() -> str | None:
    """The airline node the dashboard is a client of (``CROSSMESH_NODE``), or None: embedded."""
    return os.environ.get(NODE_ENV, "").strip() or None


def open_node_service(address: str) -> Any:
    """A client of the airline node at ``address``, with the dashboard's certificate."""
    from engine.nodes.airline_client import AirlineClient  # imported late: the engine is heavy
    from engine.wire.certificates import load_identity, read_fingerprints
    from foundation.errors import ConfigError

    certs = Path(os.environ.get(NODE_CERTS_ENV, "certs"))
    pinned = os.environ.get(NODE_FINGERPRINT_ENV, "").strip()
    pinned = pinned or read_fingerprints(certs).get("airline", "")
    if not pinned:
        raise ConfigError(
            f"set {NODE_FINGERPRINT_ENV} to the airline node's certificate fingerprint "
            f"(or put fingerprints.json in {certs})"
        )
    return AirlineClient(address, load_identity(certs, "dashboard"), pinned)


@st.cache_resource(show_spinner=False)
def _shared_service(workspace: str, data_dir: str) -> Any:
    """One service per workspace for every session (it holds the ledger connection)."""
    return open_service(Path(workspace), Path(data_dir))


@st.cache_resource(show_spinner=False)
def _shared_node_service(address: str) -> Any:
    """One client of the airline node for every session (it holds the channel)."""
    return open_node_service(address)


def service() -> Any:
    """The airline node's client if one is configured, else the service over the configured
    workspace; ConfigError if that is not prepared."""
    address = node_address()
    if address is not None:
        return _shared_node_service(address)
    workspace, data_dir = workspace_paths()
    return _shared_service(str(workspace), str(data_dir))


def _source() -> str:
    """What the releases shown come from: the node's address, or the workspace folder."""
    return node_address() or str(workspace_paths()[0])


@st.cache_data(show_spinner=False, max_entries=64)
def _release_json(source: str, release_id: str, _svc: Any) -> str:
    """The published JSON of a release (cached: reopening costs nothing anyway)."""
    release: Release = _svc.reopen(release_id)
    return release.to_json()


def cached_release(release_id: str) -> Release:
    """A committed release by its ledger id, read through the cache of published JSON."""
    from engine.dp import Release

    return Release.from_json(_release_json(_source(), str(release_id), service()))


def remember(slot: str, question: str, release: Release) -> None:
    """Keep ``release`` (published values only) as the answer to ``question`` in ``slot``."""
    st.session_state[_RELEASE_KEY + slot] = (question, release)


def remembered(slot: str, question: str) -> Release | None:
    """The release kept in ``slot`` if it answers ``question`` (else None)."""
    kept = st.session_state.get(_RELEASE_KEY + slot)
    if kept is None or kept[0] != question:
        return None
    release: Release = kept[1]
    return release
