"""How many SMS segments a text costs (GSM 03.38 / UCS-2), for reply budgets and broadcasts.

A text made only of GSM-7 characters takes 160 per single segment, 153 per segment once it is
split (the concatenation header eats 7). One character outside that alphabet (an "á", a smart
quote, a non-breaking space) turns the whole text into UCS-2: 70, then 67 per segment, counted
in UTF-16 code units. Extension characters (``{`` ``}`` ``[`` ``]`` ``~`` ``\\`` ``|`` ``^``
``€`` and form feed) are GSM-7 but cost two, being sent as escape + character. Twilio never cuts
an escape pair or an emoji's surrogate pair between two segments, so a part of a long text can
hold one less than 153 or 67, and the count is what Twilio bills (its own segment calculator,
TwilioDevEd/message-segment-calculator, works the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    count: int


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def non_gsm7(text: str) -> list[str]:
    """The characters that force UCS-2, in order of first appearance (for warnings)."""
    return list(dict.fromkeys(ch for ch in text if not is_gsm7(ch)))


def count(text: str) -> Segments:
    if is_gsm7(text):
        septets = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return Segments("GSM-7", sum(septets), _split(septets, single=160, multi=153))
    units = [len(ch.encode("utf-16-le")) // 2 for ch in text]
    return Segments("UCS-2", sum(units), _split(units, single=70, multi=67))


def _split(costs: list[int], single: int, multi: int) -> int:
    """Segments for characters of these costs; one that does not fit a part starts the next."""
    if sum(costs) <= single:
        return 1  # an empty message still costs one
    parts, room = 1, multi
    for cost in costs:
        if cost > room:
            parts, room = parts + 1, multi
        room -= cost
    return parts


# SPEC §8: replies in English at most 2 (GSM-7) segments, Spanish 3, any other language 4.
# Issue 18 is stricter for Spanish: 2, like English (its texts are worded to stay GSM-7).
REPLY_BUDGET = {"en": 2, "es": 2}
OTHER_LANGUAGES_BUDGET = 4


def reply_budget(language: str) -> int:
    return REPLY_BUDGET.get(language, OTHER_LANGUAGES_BUDGET)


def fits(text: str, language: str) -> bool:
    """Whether a reply fits its language's budget (English must also stay GSM-7)."""
    if language == "en" and not is_gsm7(text):
        return False
    return count(text).count <= reply_budget(language)


def most_that_fit(count: int, text_of: Callable[[int], str], language: str) -> int | None:
    """How many of ``count`` listed items a reply can show within its budget (``text_of``
    writes the reply with that many and "and N more"); None when not even one fits."""
    return next((n for n in range(count, 0, -1) if fits(text_of(n), language)), None)
