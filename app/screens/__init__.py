"""The dashboard's pages, one module each; every module exposes ``render()`` and nothing runs on
import. :mod:`app.main` routes to them with ``st.navigation``.

Why not ``app/pages/``: Streamlit treats a ``pages/`` folder beside the entry script as a
multipage app of its own (the pre-``st.navigation`` kind) and runs ``pages/<name>.py`` when a
URL names it, before ``st.navigation`` ever runs — a deep link such as ``/ledger`` would open a
blank page. A neutral folder name keeps ``st.navigation`` the only router.
"""
