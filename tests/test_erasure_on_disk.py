"""An erased member leaves nothing readable in the SQLite files (security review L8): deleted
rows are zeroed (secure_delete) and the write-ahead log, which still holds pages as they were,
is folded in and emptied once the erasure commits. PostgreSQL (production) is not concerned."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import cli
from app.extensions import phoneline

NUMBER = "+14155550177"


@pytest.fixture
def sqlite_files(app) -> list[Path]:
    path = phoneline(app).config.database_path
    if path is None:
        pytest.skip("SQLite only: PostgreSQL files are not the line's to wipe")
    return [path, Path(f"{path}-wal")]


def on_disk(files: list[Path], needle: str) -> bool:
    return any(f.exists() and needle.encode() in f.read_bytes() for f in files)


def test_an_erased_members_number_is_gone_from_the_database_files(app, twilio, sqlite_files):
    for body in ("94110", "1", "RSVP", "JOIN"):
        twilio.text(body, sender=NUMBER)
    assert on_disk(sqlite_files, NUMBER)
    result = app.test_cli_runner().invoke(cli, ["member", "delete", NUMBER, "--yes"])
    assert result.exit_code == 0, result.output
    assert not on_disk(sqlite_files, NUMBER)
