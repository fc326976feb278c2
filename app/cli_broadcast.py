"""``phoneline broadcast`` (SPEC §4, §9): preview, confirm, plan, follow, report.

Exit status: 0 planned (or sent and reported), 1 refused (a duplicate without ``--force``, an
unknown group or meeting, a bad ``--at``, or not confirmed), 2 usage.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.extensions import config, db, prompts
from app.models import Broadcast, Group
from app.services import broadcasts, meetings
from app.services.broadcasts import BroadcastError, Preview, Report, Target

FOLLOW_EVERY = 1.0


@click.command("broadcast")
@click.option("--group", "group_slug", metavar="SLUG", help="Everyone in a group (90 days).")
@click.option("--meeting", "meeting_key", metavar="SLUG@YYYY-MM-DD", help="One meeting's RSVPs.")
@click.option("--message", help="The text, in English.")
@click.option("--message-es", help="The text in Spanish (Spanish speakers get nothing without).")
@click.option("--at", "at", metavar="TIME", help="ISO 8601; the group's zone if no offset.")
@click.option("--force", is_flag=True, help="Send a text already sent in the last 24 hours.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--resume", "resume_id", type=int, metavar="ID", help="Resume a paused broadcast.")
@with_appcontext
def broadcast(
    group_slug: str | None,
    meeting_key: str | None,
    message: str | None,
    message_es: str | None,
    at: str | None,
    force: bool,
    yes: bool,
    resume_id: int | None,
) -> None:
    """Text a group's members or a meeting's RSVPs (or resume a paused broadcast)."""
    if resume_id is not None:
        with _refusals():
            _resume(resume_id)
        return
    if (group_slug is None) == (meeting_key is None):
        raise click.UsageError("give exactly one of --group and --meeting")
    if not message:
        raise click.UsageError("--message is required")
    texts = {"en": message, **({"es": message_es} if message_es else {})}
    with _refusals():
        planned_id = _plan(group_slug, meeting_key, texts, at, force, yes)
    if planned_id is not None and sys.stdout.isatty():
        _follow(planned_id)


def _plan(
    group_slug: str | None,
    meeting_key: str | None,
    texts: dict[str, str],
    at: str | None,
    force: bool,
    yes: bool,
) -> int | None:
    now = utcnow()
    with db().session() as session:
        target = _target(session, group_slug, meeting_key)
        send_at = broadcasts.parse_send_at(at, ZoneInfo(target.group.timezone), now)
        planned = broadcasts.preview(
            session, prompts(), config().line_name, config().secret_key, target, texts, send_at, now
        )
        _show(planned)
        if not yes and not click.confirm("Send this broadcast?"):
            raise BroadcastError("not confirmed; nothing was sent")
        created = broadcasts.schedule(session, planned, "cli", force, now)
        click.echo(f"broadcast {created.id}: {len(planned.recipients)} texts due {send_at:%c} UTC")
        return created.id


def _resume(broadcast_id: int) -> None:
    with db().session() as session:
        waiting = broadcasts.resume(session, broadcast_id, utcnow())
    click.echo(f"broadcast {broadcast_id}: {waiting} texts waiting go again now")


def _target(session: Session, group_slug: str | None, meeting_key: str | None) -> Target:
    if meeting_key is not None:
        meeting = meetings.find(session, meeting_key)
        return Target(meeting.group, meeting)
    group = session.scalar(select(Group).where(Group.slug == group_slug))
    if group is None:
        raise BroadcastError(f"no group {group_slug!r}")
    return Target(group)


def _show(planned: Preview) -> None:
    click.echo(f"recipients: {len(planned.recipients)} ({planned.segments} segments)")
    for entry in planned.languages:
        click.echo(f"[{entry.language}] {entry.recipients} recipients, {entry.segments} segments")
        click.echo(f"    {entry.text}")
        if entry.non_gsm7:
            shown = " ".join(repr(ch) for ch in entry.non_gsm7)
            click.echo(f"    warning: not GSM-7 ({shown}): every segment holds 70 characters")
    click.echo(f"not reachable by SMS: {planned.unreachable}")
    click.echo(f"skipped, no text in their language: {planned.skipped_language}")
    if planned.topic_words:
        click.echo(f"warning: topic words {', '.join(planned.topic_words)} (sent unprompted)")
    if planned.duplicate_of is not None:
        click.echo(f"warning: broadcast {planned.duplicate_of} sent this in the last 24 hours")


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except (BroadcastError, meetings.MeetingError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


def _follow(broadcast_id: int) -> None:
    """A progress bar until nothing is in flight; Ctrl-C stops watching, not sending."""
    report = _report(broadcast_id)
    with click.progressbar(length=report.planned, label="sending") as bar:
        while not report.done:
            time.sleep(FOLLOW_EVERY)
            previous, report = report, _report(broadcast_id)
            bar.update(previous.in_flight - report.in_flight)
    show_report(report)


def _report(broadcast_id: int) -> Report:
    with db().session() as session:
        found = session.get(Broadcast, broadcast_id)
        assert found is not None
        return broadcasts.report(session, found)


def show_report(report: Report) -> None:
    click.echo(
        f"delivered {report.delivered}, sent (no final word yet) {report.sent}, "
        f"undelivered {report.undelivered}, failed {report.failed}, "
        f"unresolved {report.unresolved}, skipped {report.skipped}, "
        f"no text in their language {report.skipped_language}"
    )
