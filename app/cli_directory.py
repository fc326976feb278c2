"""Directory commands (SPEC §4): ``import``, ``demo`` and ``meeting cancel|move``.

Exit status: 0 done, 1 the file or the meeting had errors (all of them are printed), 2 usage.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from app.db import utcnow
from app.extensions import config, db, prompts
from app.services import directory, meetings
from app.services.directory import Directory, Report

DEMO_FILE = "demo_directory.yaml"


def add_to(group: click.Group) -> None:
    for command in (import_directory, demo, meeting):
        group.add_command(command)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change.")
@click.option("--prune", is_flag=True, help="Make entries missing from the file inactive.")
@with_appcontext
def import_directory(file: Path, dry_run: bool, prune: bool) -> None:
    """Load the directory file (groups, facilitators, coordinators)."""
    checked = _checked(_read(file))
    with db().session() as session:
        if dry_run:
            _print(directory.preview(session, checked), "would be")
            return
        _print(_apply(session, checked, prune), "")


@click.command()
@with_appcontext
def demo() -> None:
    """Load the shipped demo directory, verified today."""
    text = resources.files("app.data").joinpath(DEMO_FILE).read_text(encoding="utf-8")
    checked = directory.verified_today(_checked(text), utcnow().date())
    with db().session() as session:
        _print(_apply(session, checked, prune=False), "")


@click.group()
def meeting() -> None:
    """Cancel or move one occurrence of a group's schedule."""


@meeting.command("cancel")
@click.argument("key", metavar="SLUG@YYYY-MM-DD")
@with_appcontext
def cancel_meeting(key: str) -> None:
    """Cancel one meeting; members with an RSVP are told."""
    now = utcnow()
    with _meeting_errors(), db().session() as session:
        found = meetings.find(session, key)
        told = meetings.cancel(session, found, _wording(), now)
        click.echo(f"{found.key} cancelled; {told} notices queued")


@meeting.command("move")
@click.argument("key", metavar="SLUG@YYYY-MM-DD")
@click.option("--to", "to", required=True, help="ISO 8601 time; the group's zone if no offset.")
@with_appcontext
def move_meeting(key: str, to: str) -> None:
    """Move one meeting to another time; members with an RSVP are told."""
    now = utcnow()
    with _meeting_errors(), db().session() as session:
        found = meetings.find(session, key)
        new_start = meetings.parse_new_start(to, found)
        told = meetings.move(session, found, new_start, _wording(), now)
        click.echo(f"{found.key} moved to {new_start.isoformat()}; {told} notices queued")


@contextmanager
def _meeting_errors() -> Iterator[None]:
    try:
        yield
    except meetings.MeetingError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


def _read(file: Path) -> str:
    """The file as text; bytes that are not UTF-8 are an error in the file, with its line."""
    content = file.read_bytes()
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        click.echo(f"file (line {line}): not UTF-8 text; save the file as UTF-8", err=True)
        click.echo("1 errors; nothing was changed", err=True)
        sys.exit(1)


def _checked(text: str) -> Directory:
    with db().session() as session:
        rules = directory.rules_for(
            session, prompts().languages, config().default_region, utcnow().date()
        )
    parsed = directory.parse(text, rules)
    for problem in parsed.problems:
        click.echo(str(problem), err=True)
    if parsed.directory is None:
        click.echo(f"{len(parsed.problems)} errors; nothing was changed", err=True)
        sys.exit(1)
    return parsed.directory


def _apply(session: Session, checked: Directory, prune: bool) -> Report:
    return directory.apply(session, checked, _wording(), utcnow(), prune=prune)


def _wording() -> meetings.Wording:
    return meetings.Wording.of(prompts(), config())


def _print(report: Report, verb: str) -> None:
    for kind in report.created:
        created, updated = report.created[kind], report.updated[kind]
        line = f"{kind}: {created} {verb} created, {updated} {verb} updated".replace("  ", " ")
        if report.deactivated[kind]:
            line += f", {report.deactivated[kind]} made inactive"
        click.echo(line)
    if not verb:
        click.echo(f"meetings: {report.meetings_created} added; notices: {report.notices} queued")
