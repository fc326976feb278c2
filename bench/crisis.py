"""The crisis matcher on the evaluation set: recall and false positives, per language and
category, and how long a match takes.

    .venv/bin/python bench/crisis.py [--wrong] [--runs 5]

``--wrong`` lists the items the matcher gets wrong (test data, written for this purpose: no
member's words). The targets (recall >= 97%, false positives <= 5%, per language) are held by
``tests/test_crisis_eval.py``; docs/crisis.md says how to read this.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import crisis
from tests.crisis_eval import (
    FALSE_POSITIVE_TARGET,
    LANGUAGES,
    RECALL_TARGET,
    Tally,
    evaluate,
    items,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wrong", action="store_true", help="list what the matcher gets wrong")
    parser.add_argument("--runs", type=int, default=5, help="timing runs over the whole set")
    args = parser.parse_args()
    print(f"rule list version {crisis.load().version}, {len(crisis.load().rules)} rules")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n")
    report = evaluate()
    print(f"{'':24} {'crisis caught':>16} {'look-alikes flagged':>22}")
    for language in LANGUAGES:
        _row(language, report.crisis[language], report.look_alike[language], bold=True)
        categories = sorted(
            {key for key in (*report.crisis, *report.look_alike) if key.startswith(language + "/")}
        )
        for key in categories:
            _row("  " + key.split("/")[1], report.crisis.get(key), report.look_alike.get(key))
    print(
        f"\ntargets: recall >= {RECALL_TARGET:.0%}, false positives <= {FALSE_POSITIVE_TARGET:.0%}"
    )
    _timing(args.runs)
    if args.wrong:
        for tallies, label in ((report.crisis, "missed"), (report.look_alike, "flagged")):
            for language in LANGUAGES:
                for item in tallies[language].wrong:
                    print(f"{label} {language}/{item.category}: {item.text}")


def _row(name: str, caught: Tally | None, flagged: Tally | None, bold: bool = False) -> None:
    def cell(tally: Tally | None) -> str:
        return f"{tally.flagged}/{tally.total} {tally.rate:6.1%}" if tally else "-"

    print(f"{name:24} {cell(caught):>16} {cell(flagged):>22}")


def _timing(runs: int) -> None:
    texts = [item.text for language in LANGUAGES for item in items(language)]
    per_run = []
    for _ in range(runs):
        started = time.perf_counter()
        for text in texts:
            crisis.match(text)
        per_run.append((time.perf_counter() - started) / len(texts))
    median = statistics.median(per_run) * 1e6
    print(f"\nmatch time: median of {runs} runs over {len(texts)} texts, {median:.0f} µs per text")


if __name__ == "__main__":
    main()
