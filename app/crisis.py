"""The one crisis matcher (SPEC §6), shared by voice (every speech result) and SMS (every inbound
member text), run before any command.

It generalises rather than lists sentences. The rules live in ``crisis_phrases.yaml``, reviewed
and versioned data: word *families* ("intent": want, going to, planning…; "die": die, be dead,
not wake up…) and *rules* that combine them in order with a few words allowed between ("intent"
then "die"), with look-alike vetoes ("die" followed by "of laughing"). docs/crisis.md explains
how to add a family or a rule and how to read ``bench/crisis.py``.

Text and rules go through the same ``normalise``: lower case, accents dropped, apostrophes
joined ("don't" is "dont"), other punctuation a space, runs of a repeated letter collapsed
("killl" and "kill" both become "kil"), letters spelled one by one joined ("k.m.s" is "kms").
The matcher then reads the words a few ways, since people in distress type fast and speech
recognisers split words: text-speak digits inside words ("k1ll", "su1cide"), words split in two
("sui cide", "kill my self") and words run together ("killmyself", "quieromorir"); Spanish
clitics are split from their verb ("matarme" is "matar me"); slang is rewritten ("kms" is "kill
myself"). A match names the rule that fired and the list's version, never the text, so it can be
logged and audited.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

_APOSTROPHES = re.compile(r"['\u2019\u02bc`´]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1+")
# Text-speak digits and symbols standing for letters, read only inside a word that has letters
# too ("k1ll", "$uicide", "d13"): a plain number ("20 pills", a ZIP) is never changed.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
_LEET_WORD = re.compile(
    r"(?<![a-z0-9@$!])(?=[a-z0-9@$!]*[a-z])(?=[a-z0-9@$!]*[0-9@$!][a-z0-9@$!]*[a-z0-9])"
    r"[a-z0-9@$!]+"
)
# A word with letters hidden by stars ("s*icide", "k**l"), read as the word of the rules it fits.
_STARRED = re.compile(r"\b[a-z]+(?:\*+[a-z]+)+")  # stars around a word are emphasis
# Spanish pronouns attached to an infinitive or gerund: "matarme", "morirme", "suicidarse",
# "cortándome" (accents are gone by then).
_CLITIC = re.compile(
    r"^([a-z]{2,}(?:ar|er|ir|ando|iendo))(?=[mstl])(me|te|se|nos)?(lo|la|los|las|le|les)?$"
)
NUMBER = "<number>"  # a rule's word for any count of ten or more ("20", "twenty", "veinte")
_SMALLEST_COUNT = 10


@dataclass(frozen=True)
class CrisisMatch:
    rule: str  # "<language>.<rule id>", e.g. "es.intent_die"
    language: str
    category: str  # the rule's family of risk, e.g. "overdose"
    version: int


Words = tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    rule_id: str
    language: str
    category: str
    slots: tuple[frozenset[Words], ...]  # in order; each slot any one of its word sequences
    gap: int  # at most this many other words between two slots
    unless_before: frozenset[Words]  # a look-alike when one of these ends just before the match
    unless_after: frozenset[Words]  # … or starts just after it
    window: int  # how near "just" is, in words
    needs: tuple[frozenset[str], ...]  # per slot, the first words one of its sequences starts with

    def could_fire(self, present: frozenset[str], has_number: bool) -> bool:
        """A cheap test before the search: each slot's first word is in the text somewhere."""
        return all(
            (has_number and NUMBER in firsts) or not firsts.isdisjoint(present)
            for firsts in self.needs
        )


@dataclass(frozen=True)
class RuleList:
    version: int
    slang: dict[str, Words]
    numbers: frozenset[str]  # number words of ten and more, in every language
    vocabulary: frozenset[str]  # every word the rules use: the pieces run-together words split into
    typo_words: tuple[str, ...]  # words read through one typing slip
    rules: tuple[Rule, ...]


def match(text: str | None, language: str | None = None) -> CrisisMatch | None:
    """The first rule that fires on ``text``, or None. Every language's rules are tried (a
    Spanish speaker may use English words); ``language`` only decides which are tried first."""
    if not text or not text.strip():
        return None
    rules = load()
    readings = list(_readings(text, rules))
    present = [
        (words, frozenset(words), any(_is_number(word, rules.numbers) for word in words))
        for words in readings
    ]
    for rule in _in_order(rules, language):
        if any(
            rule.could_fire(found, has_number) and _fires(rule, words, rules.numbers)
            for words, found, has_number in present
        ):
            return CrisisMatch(
                f"{rule.language}.{rule.rule_id}", rule.language, rule.category, rules.version
            )
    return None


def normalise(text: str, slang: dict[str, Words] | None = None) -> Words:
    """Plain lower-case words; the voice menus' word matching uses it too (hearing.py)."""
    words = _plain_words(_plain(text))
    if not slang:
        return tuple(words)
    return tuple(part for word in words for part in slang.get(word, (word,)))


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _plain_words(plain: str) -> list[str]:
    plain = _NOT_WORD.sub(" ", _APOSTROPHES.sub("", plain))
    # Repeats collapse before spelled-out letters are joined ("k.m.ssss" is "kms") and again
    # after, so "k.i.l.l" is "kil" like "kill".
    spelled = _joined_spellings(_REPEATS.sub(r"\1", plain).split())
    return [_REPEATS.sub(r"\1", word) for word in spelled]


def _joined_spellings(words: list[str]) -> list[str]:
    """Letters spelled out one by one ("k.m.s", "k m s") are read as one word ("kms")."""
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        joined.extend(["".join(run)] if len(run) > 1 else run)
        run = []
        if word:
            joined.append(word)
    return joined


def _readings(text: str, rules: RuleList) -> Iterator[Words]:
    """The words of ``text`` as written, then with split words joined and run-together words
    split, each with slang and clitics expanded. Distinct readings only."""
    plain = _plain(text)
    plain = _STARRED.sub(lambda m: _unstarred(m.group(), rules), plain)
    written = _plain_words(_LEET_WORD.sub(lambda m: _unleet(m.group(), rules), plain))
    written = [_corrected(word, rules) for word in written]
    seen: set[Words] = set()
    for words in (written, _rejoined(written, rules), _split(written, rules)):
        expanded = _expanded(words, rules.slang)
        if expanded not in seen:
            seen.add(expanded)
            yield expanded


def _unleet(word: str, rules: RuleList) -> str:
    """Digits and symbols read as letters; a "!" only where that makes a word of the rules
    ("k!ll"), since between two words it is punctuation ("la!vida")."""
    if word.startswith("!"):  # before a word it is punctuation ("!to", ":!t.o")
        return " " + _unleet(word.lstrip("!"), rules)
    read = word.translate(_LEET)
    if "!" in word and not _known(_REPEATS.sub(r"\1", read), rules):
        return word.replace("!", " ").translate(_LEET)
    return read


def _unstarred(word: str, rules: RuleList) -> str:
    """The longest word of the rules that the stars could hide letters of, else the word."""
    pattern = re.compile("^" + ".*".join(re.escape(part) for part in word.split("*")) + "$")
    fits = [known for known in rules.vocabulary if len(known) >= 4 and pattern.match(known)]
    return max(fits, key=len) if fits else word


def _corrected(word: str, rules: RuleList) -> str:
    """One slip of a finger in a long word the rules care most about ("sucidal", "overdoes")."""
    if len(word) < 6 or _known(word, rules):
        return word
    clitic = _CLITIC.match(word) is not None
    for target in rules.typo_words:
        # "suicidarse" is a form of its own, not a slip for "suicidarme": the pronoun stays.
        if clitic and word[-2:] != target[-2:]:
            continue
        if abs(len(target) - len(word)) <= 1 and _one_edit(word, target):
            return target
    return word


def _one_edit(a: str, b: str) -> bool:
    """A letter left out, added, changed, or two neighbours swapped."""
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _expanded(words: Iterable[str], slang: dict[str, Words]) -> Words:
    out: list[str] = []
    for word in words:
        for part in slang.get(word, (word,)):
            clitic = _CLITIC.match(part)
            if clitic:
                out.extend(group for group in clitic.groups() if group)
            else:
                out.append(part)
    return tuple(out)


def _rejoined(words: list[str], rules: RuleList) -> list[str]:
    """Two neighbours that make a word of the rules when written together ("sui cide",
    "my self", "over dose") are read as that word."""
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = words[i] + words[i + 1] if i + 1 < len(words) else ""
        if pair and _known(pair, rules) and not _known_alone(words[i], words[i + 1], rules):
            out.append(_REPEATS.sub(r"\1", pair))
            i += 2
        else:
            out.append(words[i])
            i += 1
    return out


def _known(word: str, rules: RuleList) -> bool:
    word = _REPEATS.sub(r"\1", word)
    return word in rules.vocabulary or word in rules.slang


def _known_alone(first: str, second: str, rules: RuleList) -> bool:
    """Both halves are words the rules use in their own right and commonly stand apart."""
    return first in _NEVER_JOIN and second in _NEVER_JOIN


# Glue words that must stay apart even when their join is a word of the rules ("a" + "live").
_NEVER_JOIN = frozenset({"a", "i", "me", "to", "it", "no", "mi", "la", "de", "en", "se", "te"})


def _split(words: list[str], rules: RuleList) -> list[str]:
    """A long word the rules do not know that is two to four of their words run together
    ("killmyself", "wanttodie", "quieromorir") is read as those words."""
    out: list[str] = []
    for word in words:
        pieces = _pieces(word, rules) if len(word) >= 6 and not _known(word, rules) else None
        out.extend(pieces or [word])
    return out


def _pieces(word: str, rules: RuleList) -> list[str] | None:
    """The fewest words of the rules that ``word`` is made of. A letter collapsed where two words
    met ("wanttodie" was read "wantodie") may belong to both."""
    best: dict[int, list[str]] = {0: []}
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 14), end):
            if start not in best:
                continue
            for begin in (start, start - 1) if start else (start,):
                piece = word[begin:end]
                if _known(piece, rules) and (len(piece) > 1 or piece in "ia"):
                    candidate = [*best[start], piece]
                    if end not in best or len(candidate) < len(best[end]):
                        best[end] = candidate
    found = best.get(len(word))
    # A real run-together phrase has a word of substance in it ("kill" + "myself"); pieces that
    # are all short are an ordinary word cut up ("intento" is not "in ten to").
    if not found or not 2 <= len(found) <= 4 or max(map(len, found)) < 4:
        return None
    return found


def _fires(rule: Rule, words: Words, numbers: frozenset[str]) -> bool:
    for start, end in _spans(rule, words, numbers):
        if not _vetoed(rule, words, start, end, numbers):
            return True
    return False


def _spans(rule: Rule, words: Words, numbers: frozenset[str]) -> Iterator[tuple[int, int]]:
    """Every (start, end) where the rule's slots appear in order with allowed gaps."""
    for start in range(len(words)):
        for first_end in _ends(rule.slots[0], words, start, numbers):
            for end in _rest(rule, 1, words, first_end, numbers):
                yield start, end


def _rest(rule: Rule, slot: int, words: Words, at: int, numbers: frozenset[str]) -> Iterator[int]:
    if slot == len(rule.slots):
        yield at
        return
    for begin in range(at, min(at + rule.gap, len(words)) + 1):
        for end in _ends(rule.slots[slot], words, begin, numbers):
            yield from _rest(rule, slot + 1, words, end, numbers)


def _ends(options: frozenset[Words], words: Words, at: int, numbers: frozenset[str]) -> list[int]:
    return [at + len(seq) for seq in options if _same(words, at, seq, numbers)]


def _same(words: Words, at: int, seq: Words, numbers: frozenset[str]) -> bool:
    if at + len(seq) > len(words):
        return False
    return all(
        _is_number(words[at + i], numbers) if part == NUMBER else words[at + i] == part
        for i, part in enumerate(seq)
    )


def _is_number(word: str, numbers: frozenset[str]) -> bool:
    return (word.isdigit() and int(word) >= _SMALLEST_COUNT) or word in numbers


def _vetoed(rule: Rule, words: Words, start: int, end: int, numbers: frozenset[str]) -> bool:
    for seq in rule.unless_before:
        for at in range(max(0, start - rule.window - len(seq) + 1), start - len(seq) + 1):
            if _same(words, at, seq, numbers):
                return True
    for seq in rule.unless_after:
        for at in range(end, min(end + rule.window, len(words))):
            if _same(words, at, seq, numbers):
                return True
    return False


def _in_order(rules: RuleList, language: str | None) -> tuple[Rule, ...]:
    return _ordered(language) if rules is load() else _sorted(rules, language)


@cache
def _ordered(language: str | None) -> tuple[Rule, ...]:
    return _sorted(load(), language)


def _sorted(rules: RuleList, language: str | None) -> tuple[Rule, ...]:
    return tuple(sorted(rules.rules, key=lambda rule: rule.language != language))


# --- the rule file ------------------------------------------------------------------------------


@cache
def load() -> RuleList:
    data = YAML(typ="safe").load(
        resources.files("app").joinpath("crisis_phrases.yaml").read_text(encoding="utf-8")
    )
    slang = {_one_word(key): normalise(value) for key, value in data["slang"].items()}
    families = {
        name: frozenset(_phrase(entry, slang) for entry in entries)
        for name, entries in data["families"].items()
    }
    rules = tuple(
        _rule(language, category, entry, families, slang)
        for language, categories in data["rules"].items()
        for category, entries in categories.items()
        for entry in entries
    )
    vocabulary = frozenset(
        word
        for rule in rules
        for slot in (*rule.slots, rule.unless_after, rule.unless_before)
        for seq in slot
        for word in seq
        if word != NUMBER
    ) | frozenset(word for value in slang.values() for word in value)
    numbers = frozenset(word for entry in data["numbers"] for word in normalise(entry))
    typo_words = tuple(_one_word(word) for word in data["typos"])
    return RuleList(int(data["version"]), slang, numbers, vocabulary, typo_words, rules)


def _one_word(key: str) -> str:
    (word,) = normalise(key)
    return word


def _phrase(entry: str, slang: dict[str, Words]) -> Words:
    if entry.strip() == NUMBER:
        return (NUMBER,)
    return _expanded(normalise(entry), slang)


def _words(
    entries: list[str], families: dict[str, frozenset[Words]], slang: dict[str, Words]
) -> frozenset[Words]:
    """A slot: ``$family`` names, or words written out, any mix."""
    found: set[Words] = set()
    for entry in entries:
        if entry.startswith("$"):
            found |= families[entry[1:]]
        else:
            found.add(_phrase(entry, slang))
    return frozenset(found)


def _rule(
    language: str,
    category: str,
    entry: dict[str, Any],
    families: dict[str, frozenset[Words]],
    slang: dict[str, Words],
) -> Rule:
    slots = tuple(
        _words(slot if isinstance(slot, list) else [slot], families, slang)
        for slot in entry["words"]
    )
    return Rule(
        rule_id=entry["id"],
        language=language,
        category=category,
        slots=slots,
        gap=int(entry.get("gap", 2)),
        unless_before=_words(entry.get("unless_before", []), families, slang),
        unless_after=_words(entry.get("unless_after", []), families, slang),
        window=int(entry.get("window", 3)),
        needs=tuple(frozenset(seq[0] for seq in slot) for slot in slots),
    )
