"""``phoneline users add|list|disable|enable|password|remove`` (SPEC §4): console accounts. A
password is prompted on a terminal, or read from standard input (one line) when it is not one.

Disabling, a new password and removing each end every session of the account at once (on every
browser), and each is in the audit log.

Exit status: 0 done, 1 refused (an existing or unknown email, an unknown facilitator, a short
password).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.extensions import db
from app.models import Facilitator, User
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


@users_group.command("list")
@with_appcontext
def list_users() -> None:
    """Every console account: email, role, facilitator, whether it may sign in."""
    with db().session() as session:
        for user in session.scalars(select(User).order_by(User.email)):
            facilitator = session.get(Facilitator, user.facilitator_id or 0)
            slug = facilitator.slug if facilitator else "-"
            state = "active" if users.may_sign_in(session, user) else "cannot sign in"
            if user.disabled_at is not None:
                state = "disabled"
            click.echo(f"{user.email}  {user.role}  {slug}  {state}")


@users_group.command("disable")
@click.argument("email")
@with_appcontext
def disable_user(email: str) -> None:
    """Refuse this account's sign-ins and end its sessions now; ``enable`` undoes it."""
    with _account(email) as (session, user):
        users.disable(user, utcnow())
        audit.record(session, "cli", "user.disable", f"user:{user.id}")
    click.echo(f"{users.normal_email(email)} is disabled; its sessions have ended")


@users_group.command("enable")
@click.argument("email")
@with_appcontext
def enable_user(email: str) -> None:
    """Let a disabled account sign in again (with its password)."""
    with _account(email) as (session, user):
        users.enable(user)
        audit.record(session, "cli", "user.enable", f"user:{user.id}")
    click.echo(f"{users.normal_email(email)} can sign in again")


@users_group.command("password")
@click.argument("email")
@with_appcontext
def change_password(email: str) -> None:
    """Set a new password (prompted, or one line of standard input); ends every session."""
    password = _password()
    with _account(email) as (session, user):
        users.set_password(user, password)
        audit.record(session, "cli", "user.password", f"user:{user.id}")
    click.echo(f"{users.normal_email(email)} has a new password; its sessions have ended")


@users_group.command("remove")
@click.argument("email")
@with_appcontext
def remove_user(email: str) -> None:
    """Delete the account; its sessions end and the audit log keeps what it did."""
    with _account(email) as (session, user):
        audit.record(session, "cli", "user.remove", f"user:{user.id}", {"role": user.role})
        users.remove(session, user)
    click.echo(f"{users.normal_email(email)} is removed")


@contextmanager
def _account(email: str) -> Iterator[tuple[Session, User]]:
    """The account in a unit of work, or exit 1 with why (nothing written)."""
    try:
        with db().session() as session:
            user = users.find(session, email)
            if user is None:
                raise UserError(f"no account {users.normal_email(email)}")
            yield session, user
    except UserError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


def _password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")
