"""``make audit`` (part of ``make lint``): every package installed in this environment, checked
with pip-audit against known vulnerabilities.

Where PyPI's per-release JSON API answers, pip-audit asks it (its default service) and that is
the verdict. Where it does not, as on this project's machines (they reach PyPI's package pages
but not its per-release JSON, nor osv.dev), pip-audit would skip every package and still exit 0;
so instead it is pointed (``--osv-url``) at a small OSV-compatible server on 127.0.0.1 that
answers from ``.ci/advisories.json``: the PyPA Advisory Database's entries for the packages this
project installs, taken on the date the report prints. That run cannot know advisories published
after that date, and says so.

    python .ci/audit_dependencies.py [--offline] [-r REQUIREMENTS]
    python .ci/audit_dependencies.py --refresh-snapshot CHECKOUT_OF_pypa/advisory-database

Exit status: 0 no known vulnerability; 1 vulnerabilities found, or the audit could not be done
(a package the snapshot does not cover, pip-audit missing or failing).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

SNAPSHOT = Path(__file__).resolve().parent / "advisories.json"
PROJECT = "phoneline"
PROBE_TIMEOUT = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offline", action="store_true", help="use the snapshot only")
    parser.add_argument("-r", "--requirement", type=Path, help="audit these name==version pins")
    parser.add_argument("--refresh-snapshot", type=Path, metavar="CHECKOUT")
    args = parser.parse_args()
    if args.refresh_snapshot:
        return refresh(args.refresh_snapshot)
    pins = read_pins(args.requirement) if args.requirement else installed()
    if not args.offline and per_release_api_answers():
        print(f"auditing {len(pins)} packages with pip-audit against PyPI's advisories (live)")
        return report(pip_audit(pins, []))
    return audit_offline(pins)


# --- what to audit -----------------------------------------------------------------------------


def installed() -> dict[str, str]:
    pins = {}
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"] or "")
        if name and name != PROJECT:
            pins[name] = dist.version
    return dict(sorted(pins.items()))


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==", 1)
            pins[canonicalize_name(name.strip())] = version.strip()
    return pins


def per_release_api_answers() -> bool:
    """pip-audit's default service needs ``/pypi/<name>/<version>/json``; one look tells."""
    url = f"https://pypi.org/pypi/pip/{metadata.version('pip')}/json"
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


# --- pip-audit ---------------------------------------------------------------------------------


def pip_audit(pins: dict[str, str], service: list[str]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
        requirements.write("".join(f"{name}=={version}\n" for name, version in pins.items()))
        requirements.flush()
        command = [
            sys.executable, "-m", "pip_audit", "-r", requirements.name, "--no-deps",
            "--disable-pip", "--progress-spinner", "off", "-f", "json", *service,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if not done.stdout.strip().startswith("{"):
        raise SystemExit(f"pip-audit did not run: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def report(result: dict[str, Any]) -> int:
    dependencies = result.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    found = [(d, v) for d in dependencies for v in d.get("vulns", [])]
    for dependency, vuln in found:
        fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
        print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} ({fixes})")
    for dependency in skipped:
        print(f"NOT AUDITED {dependency['name']}: {dependency['skip_reason']}")
    audited = len(dependencies) - len(skipped)
    print(f"{audited} audited, {len(found)} known vulnerabilities, {len(skipped)} not audited")
    return 1 if found or skipped else 0


# --- the snapshot, served as OSV ---------------------------------------------------------------


def audit_offline(pins: dict[str, str]) -> int:
    snapshot = json.loads(SNAPSHOT.read_text())
    missing = uncovered(snapshot, pins)
    print(
        "OFFLINE AUDIT (PyPI's per-release API did not answer, or --offline): pip-audit checks "
        f"against the PyPA Advisory Database as of {snapshot['date']} "
        f"(commit {snapshot['commit'][:12]}). "
        "Advisories published after that date are NOT known to this run: audit where PyPI "
        "answers (or refresh the snapshot) before a release."
    )
    if missing:
        print(f"NOT COVERED by the snapshot (refresh it): {', '.join(missing)}")
        return 1
    with osv_server(snapshot["advisories"]) as url:
        return report(pip_audit(pins, ["--vulnerability-service", "osv", "--osv-url", url]))


def uncovered(snapshot: dict[str, Any], pins: dict[str, str]) -> list[str]:
    """Packages with advisories in the database whose entries the snapshot did not keep."""
    kept, listed = snapshot["advisories"], set(snapshot["names"])
    return [name for name in pins if name in listed and name not in kept]


@contextmanager
def osv_server(advisories: dict[str, list[dict[str, Any]]]) -> Iterator[str]:
    """``POST /v1/query`` as osv.dev answers it, for PyPI packages, from the snapshot."""

    class Query(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            asked = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            name = canonicalize_name(asked["package"]["name"])
            vulns = [a for a in advisories.get(name, []) if affects(a, name, asked["version"])]
            body = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Query)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    finally:
        server.shutdown()
        server.server_close()


def affects(advisory: dict[str, Any], name: str, version: str) -> bool:
    """OSV's rule: listed among ``versions``, or inside an ECOSYSTEM range."""
    try:
        wanted = Version(version)
    except InvalidVersion:
        return False
    for affected in advisory.get("affected", []):
        if canonicalize_name(affected["package"]["name"]) != name:
            continue
        if version in affected.get("versions", []):
            return True
        ranges = (r for r in affected.get("ranges", []) if r["type"] == "ECOSYSTEM")
        if any(in_range(wanted, r["events"]) for r in ranges):
            return True
    return False


def in_range(version: Version, events: list[dict[str, str]]) -> bool:
    affected = False
    for event in sorted(events, key=_event_version):
        kind, at = next(iter(event)), _event_version(event)
        if kind == "introduced" and version >= at:
            affected = True
        elif (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at):
            affected = False
    return affected


def _event_version(event: dict[str, str]) -> Version:
    try:
        return Version(next(iter(event.values())))
    except InvalidVersion:
        return Version("0")


# --- refreshing the snapshot -------------------------------------------------------------------


def refresh(checkout: Path) -> int:
    """Keep the entries for what this environment installs (a few hundred KB, not the whole
    database), and the names of every package the database has entries for."""
    from ruamel.yaml import YAML

    vulns = checkout / "vulns"
    if not vulns.is_dir():
        raise SystemExit(f"{checkout} is not a checkout of pypa/advisory-database (no vulns/)")
    names = sorted({canonicalize_name(p.name) for p in vulns.iterdir() if p.is_dir()})
    pins = installed()
    yaml = YAML(typ="safe")
    kept: dict[str, list[dict[str, Any]]] = {}
    for folder in sorted(p for p in vulns.iterdir() if canonicalize_name(p.name) in pins):
        entries = [_slim(yaml.load(f.read_text())) for f in sorted(folder.glob("*.yaml"))]
        kept[canonicalize_name(folder.name)] = entries
    snapshot = {
        "source": "https://github.com/pypa/advisory-database",
        "commit": _git(checkout, "rev-parse", "HEAD"),
        "date": _git(checkout, "log", "-1", "--format=%cs"),
        "names": names,
        "advisories": kept,
    }
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=True, default=str) + "\n")
    count = sum(len(v) for v in kept.values())
    print(f"{SNAPSHOT.name}: {count} advisories for {len(kept)} installed packages")
    return 0


def _slim(entry: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "aliases", "summary", "details", "affected", "withdrawn", "published")
    slim = {k: entry[k] for k in keep if k in entry}
    if "details" in slim:
        slim["details"] = str(slim["details"])[:300]
    slim["affected"] = [
        {k: a[k] for k in ("package", "ranges", "versions") if k in a}
        for a in slim.get("affected", [])
    ]
    return slim


def _git(checkout: Path, *args: str) -> str:
    command = ["git", "-C", str(checkout), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
