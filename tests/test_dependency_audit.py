"""``make audit`` (in ``make lint``): pip-audit over the installed set, offline against the
advisory snapshot where PyPI's per-release API does not answer. These runs are ``--offline`` so
the suite never reaches for the network."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

AUDIT = Path(__file__).resolve().parent.parent / ".ci" / "audit_dependencies.py"


def audit(tmp_path: Path, *pins: str) -> subprocess.CompletedProcess[str]:
    requirements = tmp_path / "pins.txt"
    requirements.write_text("".join(f"{pin}\n" for pin in pins))
    command = [sys.executable, str(AUDIT), "--offline", "-r", str(requirements)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_a_known_vulnerable_version_fails_the_audit_and_is_named(tmp_path):
    done = audit(tmp_path, "jinja2==2.7.1", "flask==3.1.3")
    assert done.returncode == 1, done.stderr
    assert "VULNERABLE jinja2 2.7.1: PYSEC-2014-8 (2.7.2)" in done.stdout
    assert "VULNERABLE flask" not in done.stdout


def test_current_versions_pass_and_the_snapshot_date_is_said(tmp_path):
    done = audit(tmp_path, "jinja2==3.1.6", "werkzeug==3.1.3")
    snapshot = json.loads((AUDIT.parent / "advisories.json").read_text())
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"as of {snapshot['date']}" in done.stdout and "NOT known to this run" in done.stdout
    assert "2 audited, 0 known vulnerabilities, 0 not audited" in done.stdout


def test_a_package_the_snapshot_does_not_cover_fails_clearly(tmp_path):
    snapshot = json.loads((AUDIT.parent / "advisories.json").read_text())
    not_kept = next(n for n in snapshot["names"] if n not in snapshot["advisories"])
    done = audit(tmp_path, f"{not_kept}==1.0")
    assert done.returncode == 1
    assert f"NOT COVERED by the snapshot (refresh it): {not_kept}" in done.stdout


def test_the_snapshot_covers_everything_this_environment_installs():
    done = subprocess.run(
        [sys.executable, str(AUDIT), "--offline"], capture_output=True, text=True, timeout=300
    )
    assert "NOT COVERED" not in done.stdout, done.stdout
