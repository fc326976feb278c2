"""``phoneline users add`` (SPEC §4): console accounts. The password is prompted on a terminal,
or read from standard input (one line) when it is not one.

Exit status: 0 added, 1 refused (an existing email, an unknown facilitator, a short password).
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.services import audit, users
from app.services.users import NewUser, UserError


@click.group("users")
def users_group() -> None:
    """Console accounts."""


@users_group.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(users.ROLES))
@click.option("--facilitator", "facilitator", metavar="ID", help="The directory's facilitator id.")
@with_appcontext
def add_user(email: str, role: str, facilitator: str | None) -> None:
    """Add a console account; the password is prompted, or read from standard input."""
    password = _password()
    try:
        with db().session() as session:
            user = users.add(session, NewUser(email, password, role, facilitator))
            audit.record(session, "cli", "user.add", f"user:{user.id}", {"role": role})
    except UserError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"{users.normal_email(email)} can sign in at /console as {role}")


def _password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")
