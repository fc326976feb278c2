"""How many segments Twilio bills for a body, worked out from GSM 03.38 and the SMS PDU.

Written from the standards, not from the line's own counter (``app/segments.py``), so that a
test comparing the two proves something:

- 3GPP TS 23.038 §6.2.1: the GSM 7-bit default alphabet, 128 characters in code order, where
  code 0x1B is not a character but the escape to the extension table (§6.2.1.1), so an
  extension character is two septets.
- 3GPP TS 23.040 §9.2.3.24: a message carries 140 octets of user data; each part of a
  concatenated message spends 6 of them on the user data header Twilio sends.
- A message with any character outside the alphabet is sent as UCS-2 (UTF-16 code units).
- As Twilio's own calculator does (TwilioDevEd/message-segment-calculator,
  ``SegmentedMessage._buildSegments``), a character is never cut across two parts: an escape
  and its extension code stay together, and so do the two halves of a surrogate pair.
"""

from __future__ import annotations

# TS 23.038 §6.2.1, codes 0x00..0x7F; 0x1B (the escape) is a placeholder never matched.
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
ESCAPE = 0x1B
# TS 23.038 §6.2.1.1: the extension table's characters and their codes after the escape.
EXTENSION_TABLE = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

USER_DATA_BITS = 140 * 8
CONCATENATION_HEADER_BITS = 6 * 8
SEPTET_BITS = 7
UCS2_UNIT_BITS = 16


def gsm7_codes(char: str) -> list[int] | None:
    """The septets a character is sent as in GSM-7, or None when it has none."""
    if char in EXTENSION_TABLE:
        return [ESCAPE, EXTENSION_TABLE[char]]
    code = DEFAULT_ALPHABET.find(char)
    return None if code in (-1, ESCAPE) else [code]


def character_bits(body: str) -> list[int]:
    """Each character's size on the air: GSM-7 if every character has septets, else UCS-2."""
    septets = [gsm7_codes(char) for char in body]
    if all(codes is not None for codes in septets):
        return [SEPTET_BITS * len(codes) for codes in septets if codes is not None]
    return [UCS2_UNIT_BITS * (len(char.encode("utf-16-le")) // 2) for char in body]


def segment_count(body: str) -> int:
    sizes = character_bits(body)
    if sum(sizes) <= USER_DATA_BITS:
        return 1  # an empty body is one segment too
    room = USER_DATA_BITS - CONCATENATION_HEADER_BITS
    parts, free = 1, room
    for size in sizes:
        if size > free:  # the whole character moves to the next part
            parts, free = parts + 1, room
        free -= size
    return parts
