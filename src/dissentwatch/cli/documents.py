"""``dissentwatch documents`` and ``dissentwatch status``."""

from __future__ import annotations

import json

import click

from dissentwatch.cli._common import Context, emit_rows, output_options, pass_context
from dissentwatch.store.documents import document_counts, search_documents

DOC_COLUMNS = ("external_id", "source_kind", "published", "language", "outlet", "title", "text")


@click.command("documents")
@click.argument("query", required=False)
@click.option("--source", "source_kind", help="Only this source kind (telegram_export, files, feed, web, ...).")
@click.option("--language", help="Only this language (ISO 639-1).")
@output_options
@pass_context
def documents_command(
    ctx: Context, query: str | None, source_kind: str | None, language: str | None,
    limit: int, as_json: bool, as_csv: bool,
) -> None:
    """List documents, newest first; with QUERY, full-text search (every word must match)."""
    rows = search_documents(ctx.store, query, limit=limit, source_kind=source_kind, language=language)
    records = [dict(r) for r in rows]
    for record in records:
        record["media"] = json.loads(record["media"])
        record["raw"] = json.loads(record["raw"])
        record["id"], record["internal_id"] = record["external_id"], record["id"]
    if as_json or as_csv:
        columns = ("id", "source_kind", "url", "outlet", "author", "title", "published", "language", "text")
        emit_rows(records, columns, as_json, as_csv)
    else:
        emit_rows(records, ("id", *DOC_COLUMNS[1:]), widths={"id": 28, "title": 30, "text": 60, "published": 20})


def stage_counts(ctx: Context) -> dict[str, int]:
    """How far the pipeline has got: rows per stage."""
    store = ctx.store
    tables = {
        "documents": "SELECT COUNT(*) FROM documents",
        "analyzed": "SELECT COUNT(*) FROM analysis_state",
        "relevant": "SELECT COUNT(*) FROM analysis_state WHERE relevant",
        "mentions": "SELECT COUNT(*) FROM mentions",
        "aggregates": "SELECT COUNT(*) FROM aggregates",
        "events": "SELECT COUNT(*) FROM events",
        "reviewed": "SELECT COUNT(*) FROM events WHERE review_status != 'new'",
        "decisions": "SELECT COUNT(*) FROM decisions",
    }
    return {name: int(store.scalar(sql) or 0) for name, sql in tables.items()}


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def status_command(ctx: Context, as_json: bool) -> None:
    """Counts per source and per pipeline stage, and the last runs."""
    sources = [dict(r) for r in document_counts(ctx.store)]
    stages = stage_counts(ctx)
    runs = [dict(r) for r in ctx.store.query(
        "SELECT id, stage, command, status, started, finished, stats FROM runs ORDER BY id DESC LIMIT 5")]
    if as_json:
        click.echo(json.dumps({"database": str(ctx.db_path), "sources": sources, "stages": stages,
                               "runs": runs}, ensure_ascii=False, indent=2))
        return
    click.echo(f"database: {ctx.db_path}\n")
    emit_rows(sources, ("source_kind", "documents", "copies", "first_published", "last_published"))
    click.echo("")
    emit_rows([{"stage": k, "rows": v} for k, v in stages.items()], ("stage", "rows"))
    if runs:
        click.echo("")
        emit_rows(runs, ("id", "stage", "status", "started", "command", "stats"),
                  widths={"command": 40, "stats": 60})


def register(group: click.Group) -> None:
    group.add_command(documents_command)
    group.add_command(status_command)
