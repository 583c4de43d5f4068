"""``dissentwatch serve`` and ``dissentwatch users``: the analyst web app and its accounts."""

from __future__ import annotations

import sys

import click

from dissentwatch.cli._common import (
    Context,
    emit_rows,
    output_options,
    pass_context,
    pseudonymise_options,
)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, type=int, show_default=True, help="Port to listen on.")
@click.option("--public", is_flag=True, envvar="DISSENTWATCH_PUBLIC",
              help="Read-only public view: no login, no review controls.")
@pseudonymise_options
@pass_context
def serve(ctx: Context, host: str, port: int, public: bool, pseudonymiser: object) -> None:
    """Run the analyst web app (dashboard, events, review queue, read API) on HOST:PORT.
    With --public --pseudonymise the view serves a pseudonymised copy of the store made at start
    (restart to show events confirmed since)."""
    import uvicorn

    from dissentwatch.web.app import create_app

    if pseudonymiser is not None and not public:
        raise click.UsageError("--pseudonymise is for the public view: add --public")
    ctx.store  # noqa: B018 - a missing store or a file that is not one: a clear error, not a new store
    if pseudonymiser is not None:
        click.echo("making the pseudonymised copy of the store ...", err=True)
    app = create_app(ctx.db_path, public=public, pseudonymiser=pseudonymiser)
    click.echo(f"dissentwatch web app on http://{host}:{port}/ (database {ctx.db_path})"
               + (" - public read-only view" if public else "")
               + (", private names pseudonymised" if pseudonymiser is not None else ""), err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning" if ctx.quiet else "info")


@click.group()
def users() -> None:
    """Accounts of the web app: add users, print API tokens, list them."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "analyst", "admin"]), required=True,
              help="viewer reads; analyst also reviews; admin also sees the users page.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (first line).")
@pass_context
def users_add(ctx: Context, name: str, role: str, password_stdin: bool) -> None:
    """Add user NAME (or change their role and password); the password is hashed with argon2."""
    from dissentwatch.web import auth

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")
    ctx.creates_store = True  # a team server may start with its accounts, before any collect
    try:
        user = auth.add_user(ctx.store, name, role, password)
    except auth.AuthError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {user.name} ({user.role}) saved", err=True)


@users.command("token")
@click.argument("name")
@pass_context
def users_token(ctx: Context, name: str) -> None:
    """Print a new API bearer token for user NAME (only its hash is stored: keep it safe)."""
    from dissentwatch.web import auth

    try:
        click.echo(auth.new_token(ctx.store, name))
    except auth.AuthError as exc:
        raise click.ClickException(str(exc)) from None


@users.command("list")
@output_options
@pass_context
def users_list(ctx: Context, limit: int, as_json: bool, as_csv: bool) -> None:
    """List the users with their roles and how many API tokens they have."""
    from dissentwatch.web import auth

    rows = [dict(r) for r in auth.list_users(ctx.store)][:limit]
    emit_rows(rows, ["name", "role", "created", "has_password", "tokens", "disabled"], as_json, as_csv)


def register(group: click.Group) -> None:
    group.add_command(serve)
    group.add_command(users)
