"""Privacy commands (SPEC §4, §9, §12): ``consent``, ``member delete`` and ``retention run``.

A number given on the command line is never printed back in full (``•••-•••-1234``), and the
audit log records what was done without it. Exit status: 0 done, 1 nothing to do it to (an
unknown member, a declined confirmation), 2 usage (a bad number, purpose or source).
"""

from __future__ import annotations

import sys
from collections import Counter

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.extensions import config, db
from app.models import ConsentPurpose, ConsentSource, MessageDeletion, RecordingDeletion
from app.phones import InvalidNumber, dialable, mask, parse_number
from app.services import audit, erasure, members, recordings, retention

SOURCES = (ConsentSource.PAPER.value, ConsentSource.VERBAL.value)


def add_to(group: click.Group) -> None:
    for command in (consent, member, retention_group):
        group.add_command(command)


def _phone(number: str) -> str:
    try:
        return parse_number(number, config().default_region)
    except InvalidNumber:
        # The message names the problem, not the text: it may be most of someone's number.
        raise click.BadParameter("not a phone number", param_hint="NUMBER") from None


@click.command("consent")
@click.argument("number")
@click.option("--purpose", required=True, type=click.Choice([p.value for p in ConsentPurpose]))
@click.option("--grant", is_flag=True, help="The member agreed.")
@click.option("--revoke", is_flag=True, help="The member withdrew.")
@click.option("--source", required=True, type=click.Choice(SOURCES), help="How it was given.")
@with_appcontext
def consent(number: str, purpose: str, grant: bool, revoke: bool, source: str) -> None:
    """Record consent given outside the line (on paper or in person)."""
    # Two flags, not --grant/--revoke: a boolean pair defaults to one side, and a forgotten
    # flag must not record a decision nobody made.
    if grant == revoke:
        raise click.UsageError("give exactly one of --grant or --revoke")
    granted = grant
    phone = _phone(number)
    if granted and not dialable(phone, config().default_region):
        # A grant lets automated texts and calls go (security review H1); a revoke never does.
        raise click.BadParameter("not a number the line may call or text", param_hint="NUMBER")
    with db().session() as session:
        members.record_consent(
            session,
            phone,
            ConsentPurpose(purpose),
            granted,
            ConsentSource(source),
            config().secret_key,
        )
        details = {"purpose": purpose, "granted": granted, "source": source}
        audit.record(session, "cli", "consent.record", None, details)
    decision = "granted" if granted else "revoked"
    click.echo(f"{purpose} {decision} for {mask(phone)} ({source})")


@click.group("member")
def member() -> None:
    """Members: deletion on request."""


@member.command("delete")
@click.argument("number")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def delete_member(number: str, yes: bool) -> None:
    """Delete a member on request: everything but the consent ledger."""
    phone = _phone(number)
    if not _is_member(phone):
        click.echo(f"no member has the number {mask(phone)}; nothing deleted", err=True)
        sys.exit(1)
    if not yes:
        click.confirm(f"Delete the member {mask(phone)} and everything about them?", abort=True)
    with db().session() as session:
        found = members.find(session, phone)
        if found is None:  # deleted meanwhile (a DELETE text, the console)
            click.echo(f"no member has the number {mask(phone)}; nothing deleted", err=True)
            sys.exit(1)
        member_id = found.id
        erased = erasure.forget_member(session, found, config().secret_key)
        counts = {"rsvps": erased.rsvps, "callbacks": erased.callbacks, "messages": erased.messages}
        audit.record(session, "cli", "member.delete", f"member:{member_id}", counts)
    click.echo(
        f"deleted member {mask(phone)}: {erased.rsvps} RSVPs, {erased.callbacks} callback "
        f"requests, {erased.messages} messages; the consent ledger is kept"
    )


def _is_member(phone: str) -> bool:
    with db().session() as session:
        return members.find(session, phone) is not None


@click.group("retention")
def retention_group() -> None:
    """The retention job (SPEC §12)."""


@retention_group.command("run")
@with_appcontext
def run_retention() -> None:
    """Run the retention job once, to the end, and print what it removed."""
    policy, now = retention.Policy.of(config()), utcnow()
    totals: Counter[str] = Counter()
    while True:
        with db().session() as session:  # one transaction per batch, as in the sweep
            done = retention.run_batch(session, policy, now)
            done["recordings deleted"] = recordings.purge_due(session, now)
        totals.update(done)
        if not any(done.values()):
            break
    with db().session() as session:
        audit.record(session, "cli", "retention.run", None, {k: v for k, v in totals.items() if v})
        queued = _queued_at_twilio(session)
    for name in done:
        click.echo(f"{name}: {totals[name]}")
    click.echo(f"waiting for deletion at Twilio (a worker deletes them): {queued}")


def _queued_at_twilio(session: Session) -> int:
    messages = session.scalar(select(func.count()).select_from(MessageDeletion)) or 0
    recordings_left = session.scalar(select(func.count()).select_from(RecordingDeletion)) or 0
    return int(messages) + int(recordings_left)
