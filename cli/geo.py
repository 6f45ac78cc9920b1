"""``crossmesh geo …``: municipal boundaries, study regions and airports from the command line.

* ``import PATH [--out DIR]`` — import an N03 administrative-area file (downloaded by the user from
  MLIT) with :func:`geo.areas.import_n03` and print what was read, kept and skipped;
* ``regions`` — the study regions with airports, mesh level, domain size and municipality count;
* ``airports`` — the known airports, marking study and origin airports.

Bad input raises :class:`~foundation.errors.InputError`, which :func:`cli.main` shows as one
line with exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import app
from cli.arguments import writable_folder
from geo import areas, places
from geo.mesh import LEVELS

geo_app = typer.Typer(
    help="Municipal boundaries (N03 import), study regions and airports.",
    no_args_is_help=True,
)
app.add_typer(geo_app, name="geo")


@geo_app.command("import")
def import_command(
    path: Annotated[
        Path, typer.Argument(help="An N03 administrative-area file (GeoJSON) from MLIT.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder for the import (env CROSSMESH_GEO_DIR, default .crossmesh/geo).",
            callback=writable_folder,
        ),
    ] = areas.DEFAULT_GEO_DIR,
) -> None:
    """Import municipality boundaries from PATH so that maps use them instead of approximations."""
    summary = areas.import_n03(path, out)
    typer.echo(
        f"imported {summary.source}: {summary.features} features, "
        f"{summary.municipalities} municipalities"
    )
    for reason, count in sorted(summary.skipped.items()):
        typer.echo(f"  skipped {count}: {reason}")
    typer.echo(f"wrote {summary.output}")
    typer.echo(f"credit: {areas.N03_CREDIT}")


@geo_app.command("regions")
def regions_command() -> None:
    """List the study regions: airports, mesh level, domain cells and municipalities."""
    typer.echo("region           airports      level  cells  municipalities  name")
    for region in places.REGIONS.values():
        cells = len(places.region_domain(region.id))
        typer.echo(
            f"{region.id:<16} {','.join(region.airports):<13} {LEVELS[region.mesh_level]:<6} "
            f"{cells:>5}  {len(region.municipality_codes):>14}  {region.name_ja} "
            f"({region.name_en})"
        )


@geo_app.command("airports")
def airports_command() -> None:
    """List the airports with coordinates, municipality and role (study or origin)."""
    typer.echo("code  role    lat        lon         municipality  name")
    for airport in places.AIRPORTS.values():
        role = "study" if airport.code in places.STUDY_AIRPORTS else "origin"
        typer.echo(
            f"{airport.code:<5} {role:<7} {airport.lat:<10.5f} {airport.lon:<11.5f} "
            f"{airport.municipality_code:<13} {airport.name_ja} ({airport.name_en})"
        )
