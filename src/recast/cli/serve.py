"""``recast serve``: run the gateway, validate its config, manage gateway keys."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from recast.cli._common import emit_json, fail, handle_errors

app = typer.Typer(
    help=(
        "Run the OpenAI-compatible gateway: aliases, redirects of retired models, canary, "
        "shadow traffic, fallbacks, deprecation headers and traffic capture.\n\n"
        "Example:\n\n"
        "    recast serve --config gateway.yaml --port 8080\n\n"
        "    recast serve --config gateway.yaml --check\n\n"
        "    recast serve keys create my-service --models 'gpt-4.1*' --rpm 600"
    ),
    invoke_without_command=True,
    no_args_is_help=False,
)

keys_app = typer.Typer(
    help=(
        "Create, list and revoke gateway keys (stored hashed; the key is shown once).\n\n"
        "Example:\n\n"
        "    recast serve keys create billing-service --models gpt-4.1,gpt-4.1-mini --rpm 600"
    ),
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")

_STORE_HELP = (
    "Store URL: sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
    "(default: the config's capture.store, else SQLite in the recast home)."
)


@app.callback()
def serve_command(
    ctx: typer.Context,
    config: Optional[Path] = typer.Option(
        None, "--config", "-c", help="Gateway config file (YAML).", dir_okay=False
    ),
    check: bool = typer.Option(False, "--check", help="Validate the config and exit."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", "-p", help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
    store: Optional[str] = typer.Option(
        None, "--store", envvar="RECAST_STORE_URL", help=_STORE_HELP
    ),
    no_capture: bool = typer.Option(False, "--no-capture", help="Do not capture traffic."),
    no_watch: bool = typer.Option(
        False, "--no-watch", help="Reload only on SIGHUP, not when the file changes."
    ),
    access_log: bool = typer.Option(False, "--access-log", help="Log every request."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error."),
) -> None:
    """Run the gateway (or, with --check, validate its config).

    Example:

        recast serve --config gateway.yaml --port 8080 --workers 2
    """
    if ctx.invoked_subcommand is not None:
        return
    if config is None:
        fail("Missing --config FILE (the gateway config; see docs/gateway.md).")
    with handle_errors():
        from recast.gateway import ServeOptions, check_config, serve

        parsed = check_config(config)
        if check:
            typer.echo(
                f"{config}: ok ({len(parsed.upstreams)} upstreams, {len(parsed.routes)} routes)"
            )
            return
        serve(
            ServeOptions(
                config_path=config,
                store_url=store,
                capture=not no_capture,
                host=host,
                port=port,
                workers=workers,
                log_level=log_level,
                watch=not no_watch,
                access_log=access_log,
            )
        )


def _open(store: str | None, config: Path | None):  # type: ignore[no-untyped-def]
    from recast.gateway import load_config
    from recast.store import open_store

    url = store
    if url is None and config is not None:
        url = load_config(config).capture.store
    return open_store(url)


@keys_app.command("create")
def keys_create(
    name: str = typer.Argument(..., help="Who uses the key, e.g. the service name."),
    models: Optional[str] = typer.Option(
        None, "--models", help="Comma-separated model ids or patterns it may call (default: all)."
    ),
    rpm: Optional[int] = typer.Option(None, "--rpm", min=1, help="Requests per minute."),
    store: Optional[str] = typer.Option(
        None, "--store", envvar="RECAST_STORE_URL", help=_STORE_HELP
    ),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Gateway config file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a gateway key and print it (once: only its hash is stored).

    Example:

        recast serve keys create billing-service --models 'gpt-4.1*' --rpm 600
    """
    with handle_errors():
        allowed = [m.strip() for m in models.split(",") if m.strip()] if models else None
        opened = _open(store, config)
        try:
            key_id, key = opened.create_key(name, allowed_models=allowed, rpm=rpm)
        finally:
            opened.close()
    if as_json:
        emit_json(
            {
                "schema_version": 1,
                "id": key_id,
                "name": name,
                "key": key,
                "allowed_models": allowed,
                "rpm_limit": rpm,
            }
        )
        return
    typer.echo(key)
    typer.echo(f"Created key {key_id} for {name!r}; it is shown only now.", err=True)


@keys_app.command("list")
def keys_list(
    store: Optional[str] = typer.Option(
        None, "--store", envvar="RECAST_STORE_URL", help=_STORE_HELP
    ),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Gateway config file."),
    revoked: bool = typer.Option(False, "--revoked", help="Include revoked keys."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List gateway keys (id, name, prefix, models, rate limit; never the key).

    Example:

        recast serve keys list --json
    """
    with handle_errors():
        opened = _open(store, config)
        try:
            keys = opened.list_keys(include_revoked=revoked)
        finally:
            opened.close()
    if as_json:
        emit_json(
            {
                "schema_version": 1,
                "keys": [
                    {
                        "id": k.id,
                        "name": k.name,
                        "prefix": k.prefix,
                        "allowed_models": list(k.allowed_models)
                        if k.allowed_models is not None
                        else None,
                        "rpm_limit": k.rpm_limit,
                        "created_at": k.created_at.isoformat(),
                        "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                    }
                    for k in keys
                ],
            }
        )
        return
    if not keys:
        typer.echo("No gateway keys. Create one with `recast serve keys create NAME`.", err=True)
        return
    for k in keys:
        models = ",".join(k.allowed_models) if k.allowed_models is not None else "*"
        state = " revoked" if k.revoked else ""
        rpm = f"{k.rpm_limit}/min" if k.rpm_limit else "unlimited"
        typer.echo(f"{k.id}  {k.prefix}…  {k.name}  models={models}  rate={rpm}{state}")


@keys_app.command("revoke")
def keys_revoke(
    key_id: str = typer.Argument(..., help="The key's id (from `keys list`)."),
    store: Optional[str] = typer.Option(
        None, "--store", envvar="RECAST_STORE_URL", help=_STORE_HELP
    ),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Gateway config file."),
) -> None:
    """Revoke a gateway key (running gateways refuse it within 10 seconds).

    Example:

        recast serve keys revoke 3kq9x0abcd12
    """
    with handle_errors():
        opened = _open(store, config)
        try:
            done = opened.revoke_key(key_id)
        finally:
            opened.close()
    if not done:
        fail(f"No active gateway key with id {key_id!r}. See `recast serve keys list`.")
    typer.echo(f"Revoked {key_id}.")
