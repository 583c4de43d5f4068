"""``dissentwatch review``: the analysts' decisions from the command line (confirm, reject, edit,
merge, split, undo, unmerge, history). Each writes the audit log like the web app does."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from typing import Any

import click

from dissentwatch import review as decisions
from dissentwatch.cli._common import Context, emit_rows, output_options, pass_context


def _who(user: str | None) -> str:
    return user or f"cli:{getpass.getuser()}"


def user_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--user", help="Who decides (default: cli:<login name>).")(
        click.option("--note", help="Why, for the audit log.")(func))


@click.group("review")
def review_group() -> None:
    """Review events: confirm, reject, edit a field, merge two, split one, undo, show the history."""


def _run(action: Callable[..., Any], *args: Any) -> Any:
    try:
        return action(*args)
    except decisions.ReviewError as exc:
        raise click.ClickException(str(exc)) from None


@review_group.command("confirm")
@click.argument("event_id")
@user_option
@pass_context
def confirm(ctx: Context, event_id: str, user: str | None, note: str | None) -> None:
    """Mark EVENT_ID as confirmed."""
    _run(decisions.confirm, ctx.store, event_id, _who(user), note)
    click.echo(f"{event_id}: confirmed", err=True)


@review_group.command("reject")
@click.argument("event_id")
@user_option
@pass_context
def reject(ctx: Context, event_id: str, user: str | None, note: str | None) -> None:
    """Mark EVENT_ID as rejected (not an event, or not one of ours)."""
    _run(decisions.reject, ctx.store, event_id, _who(user), note)
    click.echo(f"{event_id}: rejected", err=True)


@review_group.command("edit")
@click.argument("event_id")
@click.argument("field")
@click.argument("value")
@user_option
@pass_context
def edit(ctx: Context, event_id: str, field: str, value: str, user: str | None, note: str | None) -> None:
    """Set FIELD of EVENT_ID to VALUE (JSON, or plain text); the field is then locked."""
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    _run(decisions.edit_field, ctx.store, event_id, field, parsed, _who(user), note)
    click.echo(f"{event_id}: {field} set and locked", err=True)


@review_group.command("merge")
@click.argument("target_id")
@click.argument("source_ids", nargs=-1, required=True)
@click.option("--type", "type_", metavar="TYPE",
              help="Type of the merged event: required when the events' types differ.")
@user_option
@pass_context
def merge(
    ctx: Context, target_id: str, source_ids: tuple[str, ...], type_: str | None, user: str | None, note: str | None,
) -> None:
    """Merge SOURCE_IDS into TARGET_ID (their mentions move over and are pinned; the event is
    rebuilt from all its sources). Events of different types need --type."""
    for source in source_ids:
        try:
            decisions.merge(ctx.store, target_id, source, _who(user), note, type=type_)
        except decisions.TypeChoiceNeeded as exc:
            raise click.ClickException(f"{exc}: pass --type {exc.types[0]} or --type {exc.types[1]}") from None
        except decisions.ReviewError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{source} merged into {target_id}", err=True)


@review_group.command("undo")
@click.argument("event_id")
@user_option
@pass_context
def undo(ctx: Context, event_id: str, user: str | None, note: str | None) -> None:
    """Take back the latest merge or split of EVENT_ID (a merged-away id: take it out again)."""
    click.echo(_run(decisions.undo, ctx.store, event_id, _who(user), note), err=True)


@review_group.command("unmerge")
@click.argument("event_id")
@user_option
@pass_context
def unmerge(ctx: Context, event_id: str, user: str | None, note: str | None) -> None:
    """Take merged-away EVENT_ID out of the event it was merged into, with its own sources."""
    holder = _run(decisions.unmerge, ctx.store, event_id, _who(user), note)
    click.echo(f"{event_id} unmerged from {holder}", err=True)


@review_group.command("split")
@click.argument("event_id")
@click.argument("mention_ids", nargs=-1, type=int, required=True)
@user_option
@pass_context
def split(ctx: Context, event_id: str, mention_ids: tuple[int, ...], user: str | None, note: str | None) -> None:
    """Move MENTION_IDS of EVENT_ID into a new event; prints the new event's id."""
    new_id = _run(decisions.split, ctx.store, event_id, list(mention_ids), _who(user), note)
    click.echo(new_id)


@review_group.command("history")
@click.argument("event_id")
@output_options
@pass_context
def history(ctx: Context, event_id: str, limit: int, as_json: bool, as_csv: bool) -> None:
    """The audit log of EVENT_ID: who decided what, when, before and after."""
    rows = decisions.history(ctx.store, event_id)[:limit]
    emit_rows(rows, ["id", "at", "user", "action", "field", "before", "after", "note"], as_json, as_csv)


def register(group: click.Group) -> None:
    group.add_command(review_group)
