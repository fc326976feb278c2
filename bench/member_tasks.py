"""How long a new caller's common tasks take, in English and Spanish (issue 18).

    .venv/bin/python bench/member_tasks.py

Each task is a whole call by a new number, driven through the project's Twilio simulator into
the app in-process (signed webhooks, as ``phoneline simulate call`` does), against the demo
directory in a throw-away instance. Times are full-listen: the words spoken at 150 a minute
(digits one word each, clock times two) plus 1 s a key, 5 s a ZIP and the ``timeout`` of every
silence (``app/voice_timing.py``). ``tests/test_member_task_times.py`` holds the targets.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app, migrate
from app.extensions import phoneline
from app.member_tasks import load_demo, run_all, table


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="member-tasks-"))
    app = create_app(
        {
            "INSTANCE_PATH": str(folder),
            "DATABASE_URL": f"sqlite:///{folder / 'line.db'}",
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7"),
            "PHONELINE_ENV": "development",
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        migrate.upgrade(phoneline(app).db)
        load_demo(app)
        results = run_all(app)
    print(table(results))
    if not all(measured.met for measured in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
