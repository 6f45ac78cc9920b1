"""``python -m engine.cli`` runs the ``crossmesh`` command."""

from engine.cli import main

main()
