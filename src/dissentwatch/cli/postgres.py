"""``dissentwatch postgres sync URL``: mirror the store into PostgreSQL for a team server."""

from __future__ import annotations

import click

from dissentwatch.cli._common import Context, emit_rows, pass_context


@click.group("postgres")
def postgres_group() -> None:
    """Mirror the SQLite store into a PostgreSQL database (same tables and columns)."""


@postgres_group.command("sync")
@click.argument("url", envvar="DISSENTWATCH_PG_URL")
@pass_context
def sync_command(ctx: Context, url: str) -> None:
    """Make the PostgreSQL database at URL (or $DISSENTWATCH_PG_URL) equal to the store.

    Tables are created or given new columns as needed; rows are upserted and rows gone from
    the store deleted, in one transaction.
    """
    from dissentwatch.store.postgres import sync_to_postgres

    try:
        counts = sync_to_postgres(ctx.store, url)
    except Exception as exc:  # psycopg errors carry the server's message
        raise click.ClickException(f"PostgreSQL sync failed: {exc}") from exc
    emit_rows([{"table": k, "rows": v} for k, v in counts.items()], ("table", "rows"))


def register(group: click.Group) -> None:
    group.add_command(postgres_group)
