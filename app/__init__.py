"""The Crossmesh dashboard (Streamlit + pydeck): it reads published releases, never party data.

``app.main`` routes to one page module per screen under :mod:`app.screens`; the shared pieces are
:mod:`app.i18n` (every visible word, ja + en), :mod:`app.state` (language, the cached service,
released values kept per session), :mod:`app.ui` (the error boundary, cost panel, run button,
downloads), :mod:`app.inputs`, :mod:`app.names`, :mod:`app.frames` (shaping released rows),
:mod:`app.maps` (pydeck layers) and :mod:`app.charts` (Altair). Engine logic lives in
:mod:`engine`, reached only through :class:`engine.service.CrossmeshService`.
"""
