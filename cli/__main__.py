"""``python -m cli`` runs the ``crossmesh`` command."""

from cli import main

main()
