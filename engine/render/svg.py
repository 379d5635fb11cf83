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


def loop_diagram(policy: Policy, size: int = 520) -> Markup:
    """The departments on a circle, an arrow from each customer to the department it appraises.

    Departments without a customer stand apart, dashed in red.
    """
    departments = sorted(policy.departments.values(), key=lambda d: d.id)
    lonely = [d for d in departments if not d.customers]
    ring = [d for d in departments if d.customers]
    box_w, box_h = 128, 34
    centre, radius = size / 2, size / 2 - 80
    places: dict[str, tuple[float, float]] = {}
    for i, d in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * i / max(len(ring), 1)
        places[d.id] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle))
    for i, d in enumerate(lonely):  # apart, in the bottom right corner, one above the other
        places[d.id] = (size - box_w / 2 - 6, size - box_h / 2 - 6 - i * (box_h + 8))
    title = f"Internal customer loop of policy {policy.version}"
    out = [
        f'<svg id="loop" role="img" aria-label="{escape(title)}" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{INK}"/></marker></defs>',
    ]
    for d in departments:
        for c in d.internal_customers:
            if c.department not in places or d.id not in places:
                continue
            (x1, y1), (x2, y2) = places[c.department], places[d.id]
            length = math.hypot(x2 - x1, y2 - y1) or 1.0
            ux, uy = (x2 - x1) / length, (y2 - y1) / length
            # stop the arrow at the edges of the boxes, not at their centres
            across = abs((box_w / 2 + 4) / ux) if ux else 1e9
            down = abs((box_h / 2 + 4) / uy) if uy else 1e9
            shrink = min(across, down)
            sx, sy = x1 + ux * shrink, y1 + uy * shrink
            ex, ey = x2 - ux * shrink, y2 - uy * shrink
            label = f"{c.metric} ≥ {target_str(c.target)}" if c.target is not None else ""
            out.append(
                f'<line class="appraisal" x1="{_f(sx)}" y1="{_f(sy)}" x2="{_f(ex)}" '
                f'y2="{_f(ey)}" stroke="{INK}" stroke-width="1.2" marker-end="url(#arrow)"/>'
                f'<text x="{_f((sx + ex) / 2)}" y="{_f((sy + ey) / 2 - 4)}" font-size="9" '
                f'text-anchor="middle" fill="#444">{escape(label)}</text>'
            )
    for d in departments:
        x, y = places[d.id]
        dashed = ' stroke-dasharray="4 3"' if not d.customers else ""
        colour = FAIL if not d.customers else INK
        out.append(
            f'<g class="department" data-id="{escape(d.id)}">'
            f'<rect x="{_f(x - box_w / 2)}" y="{_f(y - box_h / 2)}" width="{box_w}" '
            f'height="{box_h}" rx="6" fill="#fff" stroke="{colour}"{dashed}/>'
            f'<text x="{_f(x)}" y="{_f(y + 4)}" font-size="10.5" text-anchor="middle" '
            f'fill="{colour}">{escape(d.name)}</text></g>'
        )
    out.append("</svg>")
    return Markup("".join(out))
