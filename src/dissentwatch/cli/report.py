"""``dissentwatch report``: a brief on one period, as HTML, PDF or Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dissentwatch.cli._common import Context, pass_context, pseudonymise_options
from dissentwatch.cli.resolve import _check_types
from dissentwatch.publish.report import FORMATS, MAX_EVENTS


@click.command("report")
@click.option("--since", required=True, help="First day of the period: YYYY-MM-DD (YYYY-MM, YYYY: its first day).")
@click.option("--until", required=True, help="Last day of the period, included: YYYY-MM-DD (YYYY-MM, YYYY: its last day).")
@click.option("--type", "types", multiple=True, callback=_check_types, help="Only this event type (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="html (self-contained), pdf (WeasyPrint) or md (with the chart and map as PNG files beside it).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write (replaced atomically).")
@click.option("--max-events", type=click.IntRange(min=0), default=MAX_EVENTS, show_default=True,
              help="How many events the table lists (the most sourced first); the rest are counted.")
@pseudonymise_options
@pass_context
def report_command(ctx: Context, since: str, until: str, types: tuple[str, ...], fmt: str, out: Path,
                   max_events: int, pseudonymiser: Any) -> None:
    """A brief on the events of one period: headline counts, a weekly chart, a map of home
    regions and places, what changed since the previous period, the events with a quote each,
    and a methods box. Needs the 'report' extra. See docs/report.md."""
    from dissentwatch.publish.report import build_report, write_report
    from dissentwatch.publish.report_period import Period, PeriodError

    try:
        period = Period.parse(since, until)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="--since/--until") from None
    report = build_report(ctx.store, period, list(types), max_events=max_events, pseudonymiser=pseudonymiser)
    try:
        written = write_report(report, fmt, out)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"report on {period.label}: {report.events} events ({report.confirmed} confirmed, "
               f"{report.candidates} candidates), {len(report.table)} listed; wrote "
               + ", ".join(str(p) for p in written), err=True)


def register(group: click.Group) -> None:
    group.add_command(report_command)
