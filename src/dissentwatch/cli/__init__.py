"""The ``dissentwatch`` command line: thin, it parses, calls the library, prints.

Every module in this package that defines ``register(group)`` adds its commands to the main
group, so each pipeline area keeps its commands next to each other and out of the others' way.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
from pathlib import Path

import click

from dissentwatch import __version__
from dissentwatch.cli._common import Context
from dissentwatch.store import ENV_DB


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING
    if verbose == 1:
        level = logging.INFO
    elif verbose >= 2:
        level = logging.DEBUG
    if quiet:
        level = logging.ERROR
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if verbose < 2:  # their warnings are about their own parsing ("discarding data: None"), not the user's input
        for name in _CHATTY_LIBRARIES:
            logging.getLogger(name).setLevel(logging.ERROR)


_CHATTY_LIBRARIES = ("trafilatura", "htmldate", "courlan", "charset_normalizer")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dissentwatch")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=ENV_DB,
    help=f"SQLite database file (default: the user data directory; env {ENV_DB}).",
)
@click.option("-v", "--verbose", count=True, help="More logs on stderr (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars, errors only.")
@click.pass_context
def main(ctx: click.Context, db: Path | None, verbose: int, quiet: bool) -> None:
    """Track soldiers' public appeals, refusals, mutinies, desertions, dismissals and
    prosecutions from open sources: collect, analyze, resolve, review, publish."""
    _configure_logging(verbose, quiet)
    obj = Context(db, verbose, quiet)
    ctx.obj = obj
    ctx.call_on_close(obj.close)


def _register_commands() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{module.name}")
        register = getattr(mod, "register", None)
        if register is not None:
            register(main)


_register_commands()
