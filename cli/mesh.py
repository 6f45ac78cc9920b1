"""``crossmesh mesh …``: JIS X 0410 mesh codes from the command line.

Thin wrappers over :mod:`geo.mesh`: ``code`` (point to code), ``bounds`` (code to edges),
``parent``, ``children`` and ``neighbours``. Bad input raises
:class:`~foundation.errors.InputError`, which :func:`cli.main` shows as one line with exit
status 2.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli import app
from geo import mesh

mesh_app = typer.Typer(
    help="JIS X 0410 mesh codes: find, bound and walk the 1st to eighth-level grid cells.",
    no_args_is_help=True,
)
app.add_typer(mesh_app, name="mesh")

CodeArgument = Annotated[
    str,
    typer.Argument(metavar="CODE", help="Mesh code of 4, 6, 8, 9, 10 or 11 digits, e.g. 53394611."),
]
LEVEL_HELP = "Mesh level: 1-6 or 1st, 2nd, 3rd, half, quarter, eighth."


@mesh_app.command("code")
def code_command(
    lat: Annotated[float, typer.Argument(metavar="LAT", help="Latitude in degrees (WGS84/JGD).")],
    lon: Annotated[float, typer.Argument(metavar="LON", help="Longitude in degrees (WGS84/JGD).")],
    level: Annotated[str, typer.Option("--level", "-l", help=LEVEL_HELP)] = "3",
) -> None:
    """Print the code of the cell holding the point LAT LON."""
    typer.echo(mesh.point_to_code(lat, lon, mesh.parse_level(level)))


@mesh_app.command("bounds")
def bounds_command(code: CodeArgument) -> None:
    """Print the cell's edges as 'south west north east' in degrees (12 decimals)."""
    bounds = mesh.code_bounds(code)
    edges = (bounds.south, bounds.west, bounds.north, bounds.east)
    # 12 decimals keep every edge within 1e-12 degrees; geo.mesh snaps such values onto the edge.
    typer.echo(" ".join(f"{edge:.12f}" for edge in edges))


@mesh_app.command("parent")
def parent_command(
    code: CodeArgument,
    level: Annotated[
        str | None, typer.Option("--level", "-l", help=f"{LEVEL_HELP} Default: one level up.")
    ] = None,
) -> None:
    """Print the coarser cell containing CODE."""
    typer.echo(mesh.parent(code, None if level is None else mesh.parse_level(level)))


@mesh_app.command("children")
def children_command(code: CodeArgument) -> None:
    """Print the cells one level down that tile CODE, one per line."""
    typer.echo("\n".join(mesh.children(code)))


@mesh_app.command("neighbours")
def neighbours_command(code: CodeArgument) -> None:
    """Print the up-to-8 cells of the same level around CODE, one per line."""
    typer.echo("\n".join(mesh.neighbours(code)))
