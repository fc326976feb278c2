"""The call-flow picture (SVG) and the large-print menu card (HTML), drawn from the definitions,
so what coordinators print is always what the line does (STYLE 5)."""

from __future__ import annotations

from html import escape

from app.prompts import Catalog
from call_flows.definitions import START
from call_flows.nodes import Action, Entry, Hangup, Menu, Node, Record, Say

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 200, 44, 70, 14, 20
COLOURS = {Menu: "#e8f0fe", Entry: "#fef7e0", Record: "#fce8e6", Hangup: "#e6f4ea"}
# Menus a member reaches from the main menu, in the order the card lists them.
CARD_MENUS = (
    "main", "result", "narrow", "day", "verify_offer", "meeting", "callback_intro",
    "settings", "settings_reminders", "privacy", "crisis_info",
)  # fmt: skip


def visible_edges(flows: dict[str, Node]) -> list[tuple[str, str, str]]:
    """(from, label, to) between nodes the caller waits at, looking through actions and says."""
    edges = []
    for node in flows.values():
        if isinstance(node, Menu):
            for choice in node.choices:
                edges += [(node.name, choice.key, t) for t in _waits_after(flows, choice.target)]
        elif isinstance(node, Entry | Record):
            target = node.target
            edges += [(node.name, "", t) for t in _waits_after(flows, target)]
    return sorted(set(edges))


def _waits_after(flows: dict[str, Node], name: str) -> set[str]:
    found, todo, seen = set(), [name], set()
    while todo:
        current = todo.pop()
        node = flows.get(current)
        if node is None or current in seen:
            continue
        seen.add(current)
        if isinstance(node, Action):
            todo += list(node.routes.values())
        elif isinstance(node, Say):
            todo.append(node.next)
        else:
            found.add(current)
    return found


def layers(flows: dict[str, Node], edges: list[tuple[str, str, str]]) -> list[list[str]]:
    depth = {name: 0 for name in _waits_after(flows, START)}
    frontier = sorted(depth)
    while frontier:
        following = []
        for name in frontier:
            for source, _, target in edges:
                if source == name and target not in depth:
                    depth[target] = depth[name] + 1
                    following.append(target)
        frontier = sorted(following)
    waiting = [n for n, node in flows.items() if isinstance(node, Menu | Entry | Record | Hangup)]
    last = max(depth.values(), default=0) + 1
    columns: list[list[str]] = [[] for _ in range(last + 1)]
    for name in waiting:
        columns[depth.get(name, last)].append(name)
    return [column for column in columns if column]


def svg(flows: dict[str, Node], catalog: Catalog, language: str = "en") -> str:
    edges = visible_edges(flows)
    columns = layers(flows, edges)
    where = {
        name: (MARGIN + x * (BOX_W + GAP_X), MARGIN + 30 + y * (BOX_H + GAP_Y))
        for x, column in enumerate(columns)
        for y, name in enumerate(column)
    }
    width = MARGIN * 2 + len(columns) * (BOX_W + GAP_X)
    height = MARGIN * 2 + 30 + max(len(c) for c in columns) * (BOX_H + GAP_Y)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<text x="{MARGIN}" y="{MARGIN + 10}" font-size="14">'
        f"{escape(_legend(catalog, language))}</text>",
    ]
    parts += [
        _edge(where[s], where[t], label) for s, label, t in edges if s in where and t in where
    ]
    parts += [_box(flows[name], xy, catalog, language) for name, xy in where.items()]
    return "\n".join([*parts, "</svg>"])


def _legend(catalog: Catalog, language: str) -> str:
    return catalog.render(language, "voice.card.every_menu")


def _edge(a: tuple[int, int], b: tuple[int, int], label: str) -> str:
    """Forward edges are straight; an edge back to an earlier column curves below the boxes,
    dashed, so it does not run through them."""
    x1, y1 = a[0] + BOX_W, a[1] + BOX_H // 2
    x2, y2 = b[0], b[1] + BOX_H // 2
    if x2 > x1:
        path = f"M{x1},{y1} L{x2},{y2}"
        style = 'stroke="#888"'
    else:
        x1, y1, x2, y2 = a[0] + BOX_W // 2, a[1] + BOX_H, b[0] + BOX_W // 2, b[1] + BOX_H
        drop = max(y1, y2) + 40
        path = f"M{x1},{y1} C{x1},{drop} {x2},{drop} {x2},{y2}"
        style = 'stroke="#bbb" stroke-dasharray="4 3"'
    line = f'<path d="{path}" fill="none" {style} stroke-width="1"/>'
    if not label:
        return line
    return line + f'<text x="{x1 + 4}" y="{y1 - 3}" fill="#555">{escape(label)}</text>'


def _box(node: Node, xy: tuple[int, int], catalog: Catalog, language: str) -> str:
    x, y = xy
    colour = COLOURS.get(type(node), "#fff")
    first = _first_words(node, catalog, language)
    return (
        f'<g><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{colour}" '
        f'stroke="#444"/><text x="{x + 6}" y="{y + 16}" font-weight="bold">{escape(node.name)}'
        f'</text><text x="{x + 6}" y="{y + 32}">{escape(first)}</text></g>'
    )


def _first_words(node: Node, catalog: Catalog, language: str) -> str:
    key = None
    if isinstance(node, Menu):
        key = node.prompt or (node.choices[0].label if node.choices else None)
    elif isinstance(node, Entry | Record):
        key = node.prompt
    elif isinstance(node, Hangup):
        key = node.prompts[0]
    text = catalog.template(language, key) if key else ""
    return text if len(text) <= 34 else text[:33] + "…"


def menu_card(flows: dict[str, Node], catalog: Catalog, language: str, line_name: str) -> str:
    """A large-print card: every menu a member meets, its choices in the line's own words."""
    sections = [
        _card_section(flows[name], catalog, language) for name in CARD_MENUS if name in flows
    ]
    title = escape(catalog.render(language, "voice.card.title", line_name=line_name))
    every = escape(catalog.render(language, "voice.card.every_menu"))
    notice = escape(catalog.render(language, "voice.notice"))
    first = escape(catalog.render(language, "voice.card.first"))
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{CARD_CSS}</style></head><body><h1>{title}</h1><p class=notice>{notice}</p>"
        f"<p class=first>{first}</p><p class=every>{every}</p>{''.join(sections)}</body></html>"
    )


def _card_section(node: Node, catalog: Catalog, language: str) -> str:
    assert isinstance(node, Menu)
    heading = escape(catalog.render(language, f"voice.card.menus.{node.name}"))
    items = "".join(
        f"<li><b>{escape(c.key)}</b> {escape(_label(catalog, language, c.label, c.key))}</li>"
        for c in node.choices
    )
    return f"<section><h2>{heading}</h2><ul>{items}</ul></section>"


def _label(catalog: Catalog, language: str, key: str, digit: str) -> str:
    return catalog.template(language, key).format(key=digit, item="")


CARD_CSS = """
@page { size: letter; margin: 0.6in; }
body { font-family: Verdana, Arial, sans-serif; font-size: 22pt; line-height: 1.4;
       color: #000; background: #fff; }
h1 { font-size: 32pt; margin: 0 0 0.3em; }
h2 { font-size: 26pt; margin: 0.8em 0 0.2em; border-bottom: 3px solid #000; }
ul { list-style: none; padding: 0; margin: 0; }
li { margin: 0.2em 0; }
b { display: inline-block; min-width: 1.6em; font-size: 26pt; }
.notice { border: 3px solid #000; padding: 0.4em; font-weight: bold; }
section { break-inside: avoid; }
"""
