"""``crossmesh release``: one differentially private release, written to a file with metadata."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from cli import app
from cli.arguments import iso_date, release_file
from engine.dp import write_release
from engine.queries import KINDS, QuerySpec
from engine.service import CrossmeshService

KIND_HELP = "Query: " + ", ".join(KINDS) + "."


@app.command("release")
def release(
    query: Annotated[str, typer.Option("--query", help=KIND_HELP)],
    out: Annotated[
        Path,
        typer.Option("--out", help="Output: .csv, .parquet or .geojson.", callback=release_file),
    ],
    epsilon: Annotated[float, typer.Option(help="Privacy loss ε of this release.")],
    workspace: Annotated[Path, typer.Option(help="Prepared workspace.")] = Path("workspace"),
    data: Annotated[Path, typer.Option(help="The parties' data folder.")] = Path("data/demo"),
    airport: Annotated[str | None, typer.Option(help="Arrival (or departure) airport.")] = None,
    start: Annotated[
        str, typer.Option("--from", help="First date, YYYY-MM-DD.", callback=iso_date)
    ] = "2025-08-01",
    end: Annotated[
        str, typer.Option("--to", help="Last date, YYYY-MM-DD.", callback=iso_date)
    ] = "2025-08-31",
    days: Annotated[int, typer.Option(help="Days after arrival (1–14).")] = 3,
    level: Annotated[int | None, typer.Option(help="Mesh level (the region's own).")] = None,
    repeat_flyer_min: Annotated[
        int, typer.Option(help="Only members with ≥N earlier arrivals.")
    ] = 0,
    max_trips: Annotated[int, typer.Option(help="Trips per person counted (DP bound).")] = 1,
    municipality: Annotated[str | None, typer.Option(help="Furusato: municipality code.")] = None,
    months_after: Annotated[int, typer.Option(help="Furusato: months after donation.")] = 2,
    region: Annotated[str | None, typer.Option(help="Population: region id.")] = None,
    mechanism: Annotated[
        str, typer.Option(help="gaussian (zCDP) or laplace (pure ε).")
    ] = "gaussian",
    delta: Annotated[float, typer.Option(help="δ for the Gaussian mechanism.")] = 1e-6,
    resolution: Annotated[
        str,
        typer.Option(
            help="Visit maps: single (the region's mesh level) or adaptive (also the level above, "
            "each place shown at the finest reliable level; same ε)."
        ),
    ] = "single",
    threshold: Annotated[
        int,
        typer.Option(
            help="An extra floor: withhold shown values below it too (the rule: a value is shown "
            "only when its 95 % interval excludes 0, false discoveries held at 2.5 %)."
        ),
    ] = 0,
) -> None:
    """Release one statistic: charged to the budget, noised before decryption, then written."""
    spec = QuerySpec(
        kind=query,
        start=dt.date.fromisoformat(start),
        end=dt.date.fromisoformat(end),
        epsilon=epsilon,
        airport=airport,
        days=days,
        level=level,
        repeat_flyer_min=repeat_flyer_min,
        max_trips=max_trips,
        municipality=municipality,
        months_after=months_after,
        region=region,
        mechanism=mechanism,
        delta=delta,
        threshold=threshold,
        resolution=resolution,
    )
    service = CrossmeshService.open(workspace, data)
    estimate = service.estimate(spec)
    note = "served from the cache, no cost" if estimate.cached else f"ε={estimate.epsilon:g}"
    typer.echo(f"{spec.kind}: {note}; charges {', '.join(estimate.scopes)}", err=True)
    result = service.release(spec)
    write_release(result, out)
    shown = sum(1 for hidden in result.suppressed if not hidden)
    typer.echo(
        f"wrote {out} ({len(result.values)} values, {shown} shown, "
        f"{len(result.values) - shown} withheld: not distinguishable from noise) and {out}.json"
    )
