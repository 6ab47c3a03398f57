"""The trust-zone picture's geometry: zones as boxes in a row, flows as arcs with their ports (left to right
above the boxes, right to left below, a zone to itself as a loop on top). Deterministic: the same graph gives
the same drawing. The template draws it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .zones import ZoneGraph

BOX_W = 270
GAP = 50
MARGIN = 20
LINE = 15
HEAD = 52  # name and namespaces
WRAP = 34  # characters per egress line
ARC = 46  # height of an arc between neighbours; each zone further adds ARC_STEP
ARC_STEP = 34
LOOP = 44
CHAR_W = 6.6  # label width estimate at 11px


@dataclass
class Box:
    zone: str
    zone_class: str
    namespaces: str
    x: float
    y: float
    w: float
    h: float
    lines: list[str] = field(default_factory=list)


@dataclass
class Arrow:
    src: str
    dst: str
    ports: str
    d: str
    label_x: float
    label_y: float
    label_w: float


@dataclass
class Layout:
    width: float
    height: float
    boxes: list[Box]
    arrows: list[Arrow]


def _egress_lines(graph: ZoneGraph, zone: str) -> list[str]:
    lines = []
    for dst, ports in graph.egress(zone):
        text = f"→ {dst} {', '.join(ports)}"
        while len(text) > WRAP:
            cut = text.rfind(" ", 0, WRAP)
            cut = cut if cut > 0 else WRAP
            lines.append(text[:cut])
            text = "    " + text[cut:].lstrip()
        lines.append(text)
    return lines or ["no egress"]


def layout(graph: ZoneGraph) -> Layout:
    flows = graph.flows()
    index = {z.name: i for i, z in enumerate(graph.zones)}
    spans = [abs(index[f.dst] - index[f.src]) for f in flows]
    up = [f for f in flows if index[f.src] < index[f.dst]]
    down = [f for f in flows if index[f.src] > index[f.dst]]
    loops = [f for f in flows if f.src == f.dst]
    # A cubic arc whose control points sit h away peaks at 0.75 h; its label is centred there.
    top_h: float = max([ARC + ARC_STEP * (s - 1) for f, s in zip(flows, spans, strict=True) if f in up] + [0])
    top_h = 0.75 * max(top_h, LOOP if loops else 0) + (16 if up or loops else 0)
    bottom_h: float = max([ARC + ARC_STEP * (s - 1) for f, s in zip(flows, spans, strict=True) if f in down] + [0])
    bottom_h = 0.75 * bottom_h + (12 if down else 0)
    lines = {z.name: _egress_lines(graph, z.name) for z in graph.zones}
    box_h = HEAD + LINE * max([len(v) for v in lines.values()] + [1]) + 10
    y = MARGIN + top_h
    boxes = [
        Box(z.name, z.zone_class, ", ".join(z.namespaces), MARGIN + i * (BOX_W + GAP), y, BOX_W, box_h, lines[z.name])
        for i, z in enumerate(graph.zones)
    ]
    # Each box's arc ends on a side, spread over its width in the order of the box at the other end.
    ends: dict[tuple[str, str], list[tuple[float, int, str]]] = {}
    for n, f in enumerate(flows):
        side = "top" if f in up or f in loops else "bottom"
        if f in loops:
            ends.setdefault((f.src, side), []).extend([(index[f.src] - 0.1, n, "src"), (index[f.src] + 0.1, n, "dst")])
            continue
        ends.setdefault((f.src, side), []).append((index[f.dst], n, "src"))
        ends.setdefault((f.dst, side), []).append((index[f.src], n, "dst"))
    point: dict[tuple[int, str], float] = {}
    for (zone, _side), items in ends.items():
        box = boxes[index[zone]]
        for k, (_, n, role) in enumerate(sorted(items)):
            point[(n, role)] = box.x + 30 + (box.w - 60) * (k + 1) / (len(items) + 1)
    arrows = []
    for n, f in enumerate(flows):
        x1, x2 = point[(n, "src")], point[(n, "dst")]
        label = ", ".join(f.ports)
        if f in loops:
            top = y - LOOP
            d = f"M {x1:.1f} {y} C {x1 - 30:.1f} {top:.1f}, {x2 + 30:.1f} {top:.1f}, {x2:.1f} {y}"
            ly = y - 0.75 * LOOP
        elif f in up:
            h = ARC + ARC_STEP * (abs(index[f.dst] - index[f.src]) - 1)
            d = f"M {x1:.1f} {y} C {x1:.1f} {y - h:.1f}, {x2:.1f} {y - h:.1f}, {x2:.1f} {y}"
            ly = y - 0.75 * h
        else:
            base = y + box_h
            h = ARC + ARC_STEP * (abs(index[f.dst] - index[f.src]) - 1)
            d = f"M {x1:.1f} {base} C {x1:.1f} {base + h:.1f}, {x2:.1f} {base + h:.1f}, {x2:.1f} {base}"
            ly = base + 0.75 * h
        arrows.append(Arrow(f.src, f.dst, label, d, (x1 + x2) / 2, ly, len(label) * CHAR_W + 10))
    width = max(MARGIN * 2 + len(boxes) * BOX_W + max(len(boxes) - 1, 0) * GAP, 320)
    return Layout(width, y + box_h + bottom_h + MARGIN, boxes, arrows)
