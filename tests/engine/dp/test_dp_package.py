"""Keeps engine.dp's curated __all__ honest."""

from __future__ import annotations

import importlib

import engine.dp

MODULES = (
    "accounting",
    "bounds",
    "export",
    "hierarchy",
    "intervals",
    "mechanisms",
    "publication",
    "release",
    "side_channels",
    "sums",
)


def test_every_exported_name_exists_and_is_sorted() -> None:
    """Each name in engine.dp.__all__ resolves, and the list is sorted without duplicates."""
    exported = engine.dp.__all__
    assert all(hasattr(engine.dp, name) for name in exported)
    assert exported == sorted(set(exported), key=lambda name: (not name.isupper(), name))


def test_package_exports_come_from_the_modules_public_names() -> None:
    """Everything the package exports is public in the module that defines it."""
    public = set()
    for module_name in MODULES:
        module = importlib.import_module(f"engine.dp.{module_name}")
        assert all(hasattr(module, name) for name in module.__all__)
        public.update(module.__all__)
    assert set(engine.dp.__all__) <= public
