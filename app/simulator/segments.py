"""How many SMS segments a body costs, counted as carriers count them.

GSM-7 fits 160 characters in one segment and 153 in each part of a longer message (the user
data header takes the rest); the extension table (``^{}[]~|€\\``) costs two characters each.
Any character outside GSM-7, even one ``\xa0`` or curly quote, switches the whole message to
UCS-2: 70 UTF-16 code units, 67 per part.
"""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def is_gsm7(body: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in body)


def segment_count(body: str) -> int:
    if is_gsm7(body):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    if units <= single:
        return 1
    return -(-units // part)
