"""Inline SVG for the HTML reports: a department's score against its target, and the customer loop.

Drawing only: coordinates are floats formatted to one decimal (the same on every machine), never
money.  Every text that comes from the policy or the data is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from ..evaluate.results import TrendPoint
from ..numbers import percent_str, target_str
from ..policy.model import Policy

PASS = "#0a6b2d"
FAIL = "#a4141b"
INK = "#1a1a1a"
GRID = "#d0d0d0"


def _f(value: float) -> str:
    return f"{value:.1f}"


def trend_chart(department: str, points: Sequence[TrendPoint], width: int = 420) -> Markup:
    """The score (a dot per month, green when every target was met) against the target."""
    height, left, right, top, bottom = 150, 44, 30, 12, 26
    scores = [p.score for p in points if p.score is not None]
    targets = [p.target for p in points if p.target is not None]
    values = scores + targets
    low = min([Decimal("0.5"), *values]) if values else Decimal("0.5")
    high = max([Decimal("1"), *values]) if values else Decimal("1")
    span = float(high - low) or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + i * step if len(points) > 1 else left + plot_w / 2

    def y(value: Decimal) -> float:
        return top + plot_h * (1 - float(value - low) / span)

    title = f"{department}: score against target, {points[0].period} to {points[-1].period}"
    out = [
        f'<svg class="trend" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (low, (low + high) / 2, high):
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_f(y(tick))}" y2="{_f(y(tick))}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
            f'<text x="{left - 4}" y="{_f(y(tick) + 3)}" font-size="9" text-anchor="end" '
            f'fill="{INK}">{escape(percent_str(tick, 0))}</text>'
        )
    for i, p in enumerate(points):
        out.append(
            f'<text x="{_f(x(i))}" y="{height - 8}" font-size="9" text-anchor="middle" '
            f'fill="{INK}">{escape(str(p.period))}</text>'
        )
    target_path = [(x(i), y(p.target)) for i, p in enumerate(points) if p.target is not None]
    if len(target_path) > 1:
        coords = " ".join(f"{_f(a)},{_f(b)}" for a, b in target_path)
        out.append(
            f'<polyline class="target" points="{coords}" fill="none" stroke="{FAIL}" '
            'stroke-width="1" stroke-dasharray="4 3"/>'
        )
    elif target_path:
        b = target_path[0][1]
        out.append(
            f'<line class="target" x1="{left}" x2="{width - right}" y1="{_f(b)}" y2="{_f(b)}" '
            f'stroke="{FAIL}" stroke-dasharray="4 3"/>'
        )
    score_path = [(x(i), y(p.score)) for i, p in enumerate(points) if p.score is not None]
    if len(score_path) > 1:
        coords = " ".join(f"{_f(a)},{_f(b)}" for a, b in score_path)
        out.append(
            f'<polyline class="score" points="{coords}" fill="none" stroke="{INK}" '
            'stroke-width="1.5"/>'
        )
    for i, p in enumerate(points):
        if p.score is None:
            continue
        colour = PASS if p.met else FAIL
        label = f"{p.period}: {percent_str(p.score, against=[p.target] if p.target else [])}" + (
            f" (target {target_str(p.target, 2)})" if p.target is not None else ""
        )
        out.append(
            f'<circle cx="{_f(x(i))}" cy="{_f(y(p.score))}" r="3.5" fill="{colour}">'
            f"<title>{escape(label)}</title></circle>"
        )
    out.append("</svg>")
    return Markup("".join(out))


#: The most departments the loop diagram draws: more would not be legible on a page (and the
#: layout, which checks every label against every box and line, grows with their square).
MAX_DRAWN = 60
#: Font sizes of the loop diagram (px): a department's name, an arrow's label.
NAME_PX, LABEL_PX = 12.0, 10.0


def text_width(text: str, px: float) -> float:
    """A generous estimate of a text's width: a Chinese character is an em, any other
    character 0.62 em (wider than most Latin letters), so that boxes and labels sized by it
    hold their text in any sans-serif font (the browser test measures them)."""
    return sum(px if ord(ch) > 0x2E7F else px * 0.62 for ch in text)


def ring_order(policy: Policy) -> list[str]:
    """The departments in the order of the loop: each followed by its first internal customer,
    so that the arrows of a loop join neighbours on the circle; a department in no loop follows
    the one it supplies, the rest by id."""
    departments = policy.departments
    customer = {d.id: next((c.department for c in d.internal_customers
                            if c.department in departments), None)
                for d in departments.values()}  # fmt: skip
    order: list[str] = []
    for start in sorted(departments):
        at: str | None = start
        while at is not None and at not in order:
            order.append(at)
            at = customer[at]
    return order


def _label(policy: Policy, metric: str | None, target: Decimal | None) -> str:
    """An arrow's label: the metric's name (without its note in brackets) and the target."""
    name = policy.metrics[metric].label if metric in policy.metrics else (metric or "")
    name = name.split(" (")[0].split("（")[0]
    return f"{name} ≥ {target_str(target)}" if target is not None else name


Box = tuple[float, float, float, float]  # left, top, right, bottom


def _crosses(segment: Box, box: Box, gap: float = 2.0) -> bool:
    """Whether the segment (x1, y1, x2, y2) passes through the box (grown by ``gap``): the
    segment clipped to the box's slab on each axis (Liang-Barsky) is not empty."""
    x1, y1, x2, y2 = segment
    low, high = 0.0, 1.0
    for start, delta, lo, hi in ((x1, x2 - x1, box[0] - gap, box[2] + gap),
                                 (y1, y2 - y1, box[1] - gap, box[3] + gap)):  # fmt: skip
        if delta == 0:
            if not lo <= start <= hi:
                return False
            continue
        a, b = (lo - start) / delta, (hi - start) / delta
        low, high = max(low, min(a, b)), min(high, max(a, b))
        if low > high:
            return False
    return True


def _overlap(a: Box, b: Box, gap: float = 2.0) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


#: Where a label may stand, nearest its line's middle first: (cost, along the line, side, out).
_CANDIDATES = sorted(
    (more + abs(t - 0.5) * 120 + (side < 0) * 20, t, side, more)
    for t in (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74)
    for side in (1, -1)
    for more in range(0, 72, 6)
)


def _layout(
    policy: Policy, ring: list[str], radius: float, size_of: dict[str, tuple[float, float]]
) -> tuple[dict[str, tuple[float, float]], list[tuple[str, str, str, Box, Box]], bool]:
    """The boxes' centres on a circle of ``radius`` (centred at 0, 0), each arrow with its
    label's box beside it (customer, department, label, label box, line), and whether every
    label found a place clear of the boxes and the other labels (:data:`_CANDIDATES`: beside
    its line's middle away from the circle's centre, else along the line, further out, or on
    the inner side)."""
    places: dict[str, tuple[float, float]] = {}
    for i, dept_id in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * i / max(len(ring), 1)
        places[dept_id] = (radius * math.cos(angle), radius * math.sin(angle))
    taken: list[Box] = [
        (x - size_of[d][0] / 2, y - size_of[d][1] / 2, x + size_of[d][0] / 2, y + size_of[d][1] / 2)
        for d, (x, y) in places.items()
    ]
    lines = [
        (c.department, d.id, c, (*places[c.department], *places[d.id]))
        for d in (policy.departments[i] for i in ring)
        for c in d.internal_customers
        if c.department in places
    ]
    arrows = []
    placed_all = True
    for customer, dept, c, (x1, y1, x2, y2) in lines:
        label = _label(policy, c.metric, c.target)
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        nx, ny = -(y2 - y1) / length, (x2 - x1) / length  # the line's normal
        if nx * mx + ny * my < 0:
            nx, ny = -nx, -ny  # away from the circle's centre first
        w, h = text_width(label, LABEL_PX) + 8, LABEL_PX + 6
        reach = abs(nx) * w / 2 + abs(ny) * h / 2 + 4  # the box clears the line
        found = None
        for _, t, side, more in _CANDIDATES:
            px, py = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
            cx, cy = px + side * nx * (reach + more), py + side * ny * (reach + more)
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if not any(_overlap(box, other) for other in taken) and not any(
                _crosses(segment, box) for *_, segment in lines
            ):
                found = box
                break
        if found is None:
            placed_all = False
            found = (mx + nx * reach - w / 2, my + ny * reach - h / 2,
                     mx + nx * reach + w / 2, my + ny * reach + h / 2)  # fmt: skip
        taken.append(found)
        arrows.append((customer, dept, label, found, (x1, y1, x2, y2)))
    return places, arrows, placed_all


def loop_diagram(policy: Policy) -> Markup:
    """The departments on a circle in the order of the loop, an arrow from each customer to the
    department it appraises, labelled beside it with the metric's name and the target.

    The circle grows until no label overlaps a box or another label (sized by
    :func:`text_width`); a label stands on white, so a line crossing behind it never strikes it
    through.  A department in no appraisal stands apart below, dashed in red.
    """
    departments = policy.departments
    if len(departments) > MAX_DRAWN:
        return Markup(f'<p class="too-many">{len(departments):,} departments are more than a '
                      f"page can show legibly (at most {MAX_DRAWN}); the table below lists every "
                      "appraisal.</p>")  # fmt: skip
    linked = {d.id for d in departments.values() if d.internal_customers}
    linked |= {c.department for d in departments.values() for c in d.internal_customers
               if c.department in departments}  # fmt: skip
    ring = [d for d in ring_order(policy) if d in linked]
    apart = sorted(d for d in departments if d not in linked)
    names = {d: _name_lines(departments[d].name) for d in departments}
    size_of = {d: (max(text_width(x, NAME_PX) for x in names[d]) + 16,
                   len(names[d]) * NAME_PX * 1.25 + 10) for d in departments}  # fmt: skip

    def boxes(places: dict[str, tuple[float, float]]) -> dict[str, Box]:
        return {d: (x - size_of[d][0] / 2, y - size_of[d][1] / 2, x + size_of[d][0] / 2,
                    y + size_of[d][1] / 2) for d, (x, y) in places.items()}  # fmt: skip

    # neighbours on the circle far enough apart for an arrow and its label between them
    radius = 90.0
    if len(ring) > 1:
        chord = 2 * math.sin(math.pi / len(ring))
        for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
            radius = max(radius, ((size_of[a][0] + size_of[b][0]) / 2 + 40) / chord)
    for _ in range(60):
        places, arrows, placed = _layout(policy, ring, radius, size_of)
        if placed:
            break
        radius *= 1.08
    every = list(boxes(places).values()) + [a[3] for a in arrows]
    left = min((b[0] for b in every), default=0.0) - 8
    right = max((b[2] for b in every), default=0.0) + 8
    top = min((b[1] for b in every), default=0.0) - 8
    bottom = max((b[3] for b in every), default=0.0) + 8
    x = left + 8  # the departments apart: a row below the circle
    for d in apart:
        w, h = size_of[d]
        places[d] = (x + w / 2, bottom + 10 + h / 2)
        x += w + 10
    if apart:
        bottom += 10 + max(size_of[d][1] for d in apart) + 8
        right = max(right, x)
    width, height = right - left, bottom - top
    title = f"Internal customer loop of policy {policy.version}"
    out = [
        f'<svg id="loop" role="img" aria-label="{escape(title)}" width="{_f(width)}" '
        f'height="{_f(height)}" viewBox="{_f(left)} {_f(top)} {_f(width)} {_f(height)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{INK}"/></marker></defs>',
    ]
    shapes = boxes(places)
    for customer, dept, _, _, (x1, y1, x2, y2) in arrows:
        sx, sy = _edge(shapes[customer], x1, y1, x2, y2)
        ex, ey = _edge(shapes[dept], x2, y2, x1, y1)
        out.append(
            f'<line class="appraisal" data-from="{escape(customer)}" data-to="{escape(dept)}" '
            f'x1="{_f(sx)}" y1="{_f(sy)}" x2="{_f(ex)}" y2="{_f(ey)}" stroke="{INK}" '
            'stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
    for _, _, label, (l0, t0, r0, b0), _ in arrows:  # over every line: never struck through
        out.append(
            f'<g class="label"><rect x="{_f(l0)}" y="{_f(t0)}" width="{_f(r0 - l0)}" '
            f'height="{_f(b0 - t0)}" rx="3" fill="#fff" fill-opacity="0.95"/>'
            f'<text x="{_f((l0 + r0) / 2)}" y="{_f(b0 - 5)}" font-size="{LABEL_PX:g}" '
            f'text-anchor="middle" fill="#333">{escape(label)}</text></g>'
        )
    for d, (l0, t0, r0, b0) in shapes.items():
        lonely = not departments[d].customers
        dashed = ' stroke-dasharray="4 3"' if lonely else ""
        colour = FAIL if lonely else INK
        out.append(
            f'<g class="department" data-id="{escape(d)}">'
            f'<rect x="{_f(l0)}" y="{_f(t0)}" width="{_f(r0 - l0)}" height="{_f(b0 - t0)}" '
            f'rx="6" fill="#fff" stroke="{colour}"{dashed}/>'
            f'<text x="{_f((l0 + r0) / 2)}" y="{_f(t0 + 5 + NAME_PX)}" font-size="{NAME_PX:g}" '
            f'text-anchor="middle" fill="{colour}">'
            + "".join(f'<tspan x="{_f((l0 + r0) / 2)}" dy="{0 if k == 0 else _f(NAME_PX * 1.25)}">'
                      f"{escape(line)}</tspan>" for k, line in enumerate(names[d]))
            + "</text></g>"
        )  # fmt: skip
    out.append("</svg>")
    return Markup("".join(out))


def _name_lines(name: str) -> list[str]:
    """A department's name in a box: its Chinese and its English on a line each."""
    from ..evaluate.notes import bilingual

    zh, en = bilingual(name)
    return [zh, en] if zh != en else [name]


def _edge(box: Box, x1: float, y1: float, x2: float, y2: float) -> tuple[float, float]:
    """Where the line from a box's centre (x1, y1) towards (x2, y2) leaves the box (4 px out)."""
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    half_w, half_h = (box[2] - box[0]) / 2 + 4, (box[3] - box[1]) / 2 + 4
    across = abs(half_w / ux) if ux else math.inf
    down = abs(half_h / uy) if uy else math.inf
    shrink = min(across, down)
    return x1 + ux * shrink, y1 + uy * shrink
