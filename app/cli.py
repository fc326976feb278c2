"""``phoneline``: a Flask CLI group over the app factory (SPEC §4).

Exit status: 0 success, 1 the command found errors, 2 usage (click's own).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import WSGIRequestHandler

from app.config import ConfigError
from app.extensions import phoneline


def _create_app() -> Flask:
    from app import create_app

    return create_app(serving=False)


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """Phone line for community peer support groups."""


def main() -> None:
    try:
        cli.main(prog_name="phoneline")
    except ConfigError as error:
        click.echo(f"configuration error: {error}", err=True)
        sys.exit(1)


@cli.command()
@with_appcontext
def init() -> None:
    """Create or upgrade the database schema (idempotent)."""
    from app import migrate

    migrate.upgrade(phoneline().db)
    click.echo("database ready")


@cli.group()
def db() -> None:
    """Schema migrations (alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    from app import migrate

    migrate.upgrade(phoneline().db, revision)


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    from app import migrate

    migrate.downgrade(phoneline().db, revision)


@db.command("current")
@with_appcontext
def db_current() -> None:
    from app import migrate

    migrate.current(phoneline().db)


@db.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models."""
    from app import migrate

    migrate.revision(phoneline().db, message)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-worker", is_flag=True, help="Serve webhooks only; run workers separately.")
def serve(host: str, port: int, no_worker: bool) -> None:
    """Serve the webhooks, with a worker unless --no-worker (and the simulator in development)."""
    from werkzeug.serving import run_simple

    from app import create_app
    from app.logging_setup import configure_logging
    from app.simulator.dev import start_beside

    configure_logging()
    env = {**os.environ, "PHONELINE_PORT": str(port)}
    app = create_app({"PORT": port})
    settings = phoneline(app).config
    if settings.is_production:
        # Werkzeug's server is not built to face the internet; the Procfile's web line is.
        click.echo(
            "error: serve is the development server; in production run the Procfile's web "
            "(gunicorn) and worker lines",
            err=True,
        )
        sys.exit(1)
    click.echo(f"serving {settings.public_base_url} (voice: /twilio/voice, sms: /twilio/sms)")
    # SIGTERM (from a process manager or a test) unwinds like Ctrl-C, so the worker child is
    # stopped and the embedded Redis is released instead of being orphaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if simulator := start_beside(app, env):  # development with placeholder credentials only
        click.echo(f"Twilio API simulator (no real texts or calls): {simulator.url}")
    with _children(env, [] if no_worker else [[sys.executable, "-m", "app.cli", "worker"]]):
        run_simple(
            host,
            port,
            app,
            threaded=True,
            use_reloader=False,
            use_debugger=False,
            request_handler=PathOnlyLog,
        )


class PathOnlyLog(WSGIRequestHandler):
    """The access log names the path, never the query: a recording link's signature (and any
    parameter a form might carry) stays out of the terminal and its scrollback."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        full = getattr(self, "path", None)
        if full is None:  # a request line too broken to parse: say only that
            self.log("info", '"-" %s %s', code, size)
            return
        self.path = full.split("?", 1)[0]
        try:
            super().log_request(code, size)
        finally:
            self.path = full


@contextmanager
def _children(env: dict[str, str], commands: list[list[str]]) -> Iterator[None]:
    processes = []
    for command in commands:
        processes.append(subprocess.Popen(command, env=env))  # noqa: S603
        click.echo(f"started {command[-1]} (pid {processes[-1].pid})")
    try:
        yield
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@cli.command()
@click.option("--burst", is_flag=True, help="Run the sweep once, drain what is due, exit.")
def worker(burst: bool) -> None:
    """An RQ worker that also runs the due-work sweep on a timer."""
    from app import create_app
    from app.logging_setup import configure_logging
    from workers.worker import run_worker

    configure_logging()
    app = create_app(serving=False)
    with app.app_context():
        run_worker(app, burst=burst)


@cli.command()
@with_appcontext
def check() -> None:
    """Deployment preflight: what to paste into Twilio, and what is not ready."""
    from app.preflight import preflight

    report = preflight(phoneline())
    for line in report.lines:
        click.echo(line)
    if report.problems:
        click.echo("")
        for problem in report.problems:
            click.echo(f"NOT READY: {problem}", err=True)
        sys.exit(1)
    click.echo("ready")


# Each area adds its own commands (after the group exists, hence the late imports).
from app.cli_directory import add_to as _add_directory_commands  # noqa: E402
from app.cli_sms import register as _register_sms  # noqa: E402
from app.cli_voice import add_to as _add_voice_commands  # noqa: E402

_add_directory_commands(cli)
_add_voice_commands(cli)
_register_sms(cli)

from app.cli_broadcast import broadcast as _broadcast  # noqa: E402

cli.add_command(_broadcast)

from app.cli_users import users_group as _users  # noqa: E402

cli.add_command(_users)

from app.cli_privacy import add_to as _add_privacy_commands  # noqa: E402

_add_privacy_commands(cli)

if __name__ == "__main__":
    main()
