"""Reading TwiML the way a caller experiences it."""

from __future__ import annotations

from xml.etree import ElementTree


def parse(document: bytes | str) -> ElementTree.Element:
    root = ElementTree.fromstring(document)
    assert root.tag == "Response", "a TwiML document is a <Response>"
    return root


def spoken(document: bytes | str) -> list[str]:
    return [node.text or "" for node in parse(document).iter("Say")]


def verbs(document: bytes | str) -> list[str]:
    return [child.tag for child in parse(document)]


def gathers(document: bytes | str) -> list[ElementTree.Element]:
    return list(parse(document).iter("Gather"))
