"""``crossmesh release``: one differentially private release, written to a file with metadata."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from cli import app
from cli.arguments import iso_date, release_file
from engine.dp import write_release
from engine.preview import AccuracyPreview
from engine.queries import KINDS, QuerySpec
from engine.service import CrossmeshService

KIND_HELP = "Query: " + ", ".join(KINDS) + "."


@app.command("release")
def release(
    query: Annotated[str, typer.Option("--query", help=KIND_HELP)],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output: .csv, .parquet or .geojson (not with --preview).",
            callback=release_file,
        ),
    ] = None,
    epsilon: Annotated[float, typer.Option(help="Privacy loss ε of this release.")] = 1.0,
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
    preview: Annotated[
        bool,
        typer.Option(
            "--preview",
            help="Only show the expected accuracy (intervals, withheld share, releases left); "
            "charges nothing.",
        ),
    ] = False,
) -> None:
    """Release one statistic: charged to the budget, noised before decryption, then written.

    With ``--preview``, nothing runs and nothing is charged: the expected accuracy is printed.
    """
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
    if out is None and not preview:
        raise typer.BadParameter(
            "give --out FILE for the release, or --preview", param_hint="--out"
        )
    service = CrossmeshService.open(workspace, data)
    if preview:
        typer.echo(preview_text(service.preview(spec)))
        return
    assert out is not None
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


def preview_text(found: AccuracyPreview) -> str:
    """The preview as a few plain lines."""
    if found.withheld_share is None:
        withheld = "no earlier release of this kind and place to predict from"
    else:
        withheld = f"about {found.withheld_share:.0%} (predicted from release {found.based_on})"
    return "\n".join(
        [
            f"{found.kind} at ε={found.epsilon:g} "
            f"({found.mechanism}, scale {found.noise_scale:.1f})",
            f"  values: {found.values}; each ± {found.half_width} (95 %, {found.draws} draws)",
            f"  shown when above {found.shown_from_best} (with many others) or "
            f"{found.shown_from_alone} (alone)",
            f"  withheld: {withheld}",
            f"  releases like this one the budget left allows: {found.releases_left}",
            "  nothing was charged",
        ]
    )
