"""The crisis matcher measured on the project's evaluation set (``tests/data/crisis_eval/``):
recall on crisis statements and false positives on look-alikes, per language and category.
Shared by ``bench/crisis.py`` (prints it) and ``tests/test_crisis_eval.py`` (holds the targets)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

from app import crisis

EVAL_DIR = Path(__file__).resolve().parent / "data" / "crisis_eval"
LANGUAGES = ("en", "es")
RECALL_TARGET = 0.97
FALSE_POSITIVE_TARGET = 0.05


@dataclass(frozen=True)
class Item:
    text: str
    crisis: bool
    category: str
    language: str


@dataclass
class Tally:
    total: int = 0
    flagged: int = 0
    wrong: list[Item] = field(default_factory=list)  # missed crises, or flagged look-alikes

    @property
    def rate(self) -> float:
        return self.flagged / self.total if self.total else 0.0


@dataclass
class Report:
    crisis: dict[str, Tally]  # by language, and by "language/category"
    look_alike: dict[str, Tally]


def items(language: str) -> list[Item]:
    data = YAML(typ="safe").load((EVAL_DIR / f"{language}.yaml").read_text(encoding="utf-8"))
    return [
        Item(entry["text"], bool(entry["crisis"]), entry["category"], language)
        for entry in data["items"]
    ]


def evaluate(languages: tuple[str, ...] = LANGUAGES) -> Report:
    report = Report(defaultdict(Tally), defaultdict(Tally))
    for language in languages:
        for item in items(language):
            found = crisis.match(item.text, language) is not None
            tallies = report.crisis if item.crisis else report.look_alike
            for key in (language, f"{language}/{item.category}"):
                tally = tallies[key]
                tally.total += 1
                tally.flagged += found
                if found != item.crisis:
                    tally.wrong.append(item)
    return report
