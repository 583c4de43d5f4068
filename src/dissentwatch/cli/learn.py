"""``dissentwatch train``, and the model options shared by ``analyze`` and ``eval``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dissentwatch.cli._common import Context, pass_context


def model_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--model DIR`` and ``--rules-only``."""

    @click.option("--model", "model_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                  help="A model directory written by 'dissentwatch train' (default: the packaged model).")
    @click.option("--rules-only", is_flag=True, help="Judge with the rules alone, no learned model.")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def chosen_model(model_dir: Path | None, rules_only: bool) -> Any:
    """The model the options name: None (rules), a loaded directory, or "default"."""
    if rules_only and model_dir:
        raise click.UsageError("--model and --rules-only exclude each other")
    if rules_only:
        return None
    if model_dir is None:
        return "default"
    from dissentwatch.learn.model import ModelError, load_model

    try:
        return load_model(model_dir)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("train")
@click.argument("docs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--stream", "streams", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Telegram exports whose posts are negatives (unless --labels says otherwise).")
@click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Labels of stream posts (JSONL: id '<folder>/<message id>', positive, types, note).")
@click.option("--from-store", is_flag=True, help="Also learn from analysts' decisions in the store.")
@click.option("--encoders", default="use,e5", show_default=True, help="Sentence encoders, one head set each.")
@click.option("--cv", "folds", type=click.IntRange(min=2), default=5, show_default=True,
              help="Folds of the out-of-fold scores recorded next to the model.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Model directory to write (model.json, weights.npz, oof.json).")
@click.option("--force", is_flag=True, help="Write the model even when it scores worse out of fold.")
@pass_context
def train_command(ctx: Context, docs: Path, gold: Path, streams: tuple[Path, ...], labels: Path | None,
                  from_store: bool, encoders: str, folds: int, out: Path, force: bool) -> None:
    """Fit the detection model from gold JSONL (DOCS, GOLD), streams and analysts' decisions.

    Seeded and recorded: the data's hash, the code and encoder versions, and the out-of-fold scores
    (grouped by occurrence) sit next to the weights. A model that scores worse out of fold than
    the one already in --out is not written unless --force."""
    from dissentwatch.evaluate.run import EvalError
    from dissentwatch.learn.dataset import DatasetError
    from dissentwatch.learn.train import train_and_save

    kinds = tuple(k.strip() for k in encoders.split(",") if k.strip())
    bad = [k for k in kinds if k not in {"use", "e5"}]
    if bad or not kinds:
        raise click.UsageError(f"--encoders: unknown encoder {bad[0] if bad else '(none)'!r}; allowed: use, e5")
    store = ctx.store if from_store else None
    try:
        result = train_and_save(docs, gold, list(streams), labels, store, kinds, folds, out, force)
    except (EvalError, DatasetError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result, ensure_ascii=False, indent=1))
    if not result["written"]:
        raise SystemExit(1)


@click.command("train-resolve")
@click.argument("docs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cv", "folds", type=click.IntRange(min=2), default=5, show_default=True,
              help="Folds (grouped by occurrence) of the threshold choice and of the recorded scores.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Learned settings to write (JSON; packaged as dissentwatch/data/resolve_learned.json).")
def train_resolve_command(docs: Path, gold: Path, folds: int, out: Path) -> None:
    """Learn resolve's weights from the same_event tags of DOCS and the gold events of GOLD.

    A logistic regression over the signals of every (mention, candidate event) pair; the join
    threshold is chosen out of fold, and the nested out-of-fold scores of the hand weights and
    the learned ones (pairwise, B-cubed) are written with the weights."""
    from dissentwatch.resolve.learn import train_resolve

    try:
        learned = train_resolve(docs, gold, folds)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    out.write_text(json.dumps(learned, ensure_ascii=False, indent=1) + "\n", "utf-8")
    oof = learned["oof"]
    click.echo(f"out of fold ({oof['folds']} folds by occurrence, {oof['hand']['documents']} documents):")
    for name in ("hand", "learned"):
        pw, b3 = oof[name]["pairwise"], oof[name]["bcubed"]
        click.echo(f"  {name:8} pairwise P {pw['precision']:.3f} R {pw['recall']:.3f} F1 {pw['f1']:.3f}  "
                   f"bcubed P {b3['precision']:.3f} R {b3['recall']:.3f} F1 {b3['f1']:.3f}")
    click.echo(f"wrote {out} ({learned['version']}, threshold {learned['threshold']}, "
               f"p >= {learned['probability']})")


def register(group: click.Group) -> None:
    group.add_command(train_command)
    group.add_command(train_resolve_command)
