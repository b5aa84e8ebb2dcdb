"""Entry point of the ``recast`` command."""

from __future__ import annotations

import importlib

import typer

from recast import __version__
from recast.cli._common import set_debug

app = typer.Typer(
    name="recast",
    help=(
        "Keep LLM applications alive through model deprecations.\n\n"
        "Find where you depend on which model and until when, pick the replacement "
        "that behaves most like the old model on your own prompts, and switch safely."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: (module under recast.cli, attribute, command name). Each module owns one verb.
VERB_GROUPS: list[tuple[str, str, str]] = [
    ("models", "app", "models"),
    ("serve", "app", "serve"),
]
#: Single commands (not groups): (module, function, command name).
VERB_COMMANDS: list[tuple[str, str, str]] = [
    ("audition", "audition_command", "audition"),
    ("plan", "plan_command", "plan"),
    ("scan", "scan_command", "scan"),
    ("watch", "watch_command", "watch"),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"recast {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    set_debug(debug)


def _register() -> None:
    for module_name, attribute, name in VERB_GROUPS:
        module = importlib.import_module(f"recast.cli.{module_name}")
        app.add_typer(getattr(module, attribute), name=name)
    for module_name, attribute, name in VERB_COMMANDS:
        module = importlib.import_module(f"recast.cli.{module_name}")
        app.command(name=name, epilog=getattr(module, "EPILOG", None))(getattr(module, attribute))


_register()


def main() -> None:
    """Run the ``recast`` command."""
    app()
