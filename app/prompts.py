"""The prompts catalog: ``prompts/<lang>.yaml``, flattened to dotted keys.

The languages the line offers are the files present. A template names its parameters as
``{name}``; rendering with a parameter missing is a bug and raises.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ruamel.yaml import YAML


@dataclass(frozen=True)
class LanguageMeta:
    code: str
    name: str
    choice: str
    say_language: str
    voice: str
    speech_language: str
    speech_model: str


class PromptError(KeyError):
    pass


class Catalog:
    def __init__(self, texts: dict[str, dict[str, str]], meta: dict[str, LanguageMeta]) -> None:
        self.texts = texts
        self.meta = meta

    @property
    def languages(self) -> list[str]:
        """Language codes, English first and the rest in file-name order."""
        return sorted(self.texts, key=lambda code: (code != "en", code))

    def has(self, language: str) -> bool:
        return language in self.texts

    def template(self, language: str, key: str) -> str:
        try:
            return self.texts[language][key]
        except KeyError:
            raise PromptError(f"no prompt {key!r} in {language!r}") from None

    def render(self, language: str, key: str, **params: Any) -> str:
        text = self.template(language, key).format(**params)
        # A Spanish time ends in its own period ("6:30 p. m."): a template's full stop after
        # it would print "p. m.." ("Siguiente: {when}.").
        return _DOUBLE_STOP.sub(r"\1", text)


_DOUBLE_STOP = re.compile(r"(\b[ap]\. m\.)\.")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def load_catalog() -> Catalog:
    texts: dict[str, dict[str, str]] = {}
    meta: dict[str, LanguageMeta] = {}
    yaml = YAML(typ="safe")
    for entry in resources.files("prompts").iterdir():
        if not entry.name.endswith(".yaml"):
            continue
        code = entry.name.removesuffix(".yaml")
        data = yaml.load(entry.read_text(encoding="utf-8"))
        meta[code] = LanguageMeta(code=code, **data.pop("meta"))
        texts[code] = dict(_flatten(data))
    return Catalog(texts, meta)


def _flatten(tree: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs.extend(_flatten(value, f"{name}."))
        else:
            pairs.append((name, " ".join(str(value).split())))
    return pairs
