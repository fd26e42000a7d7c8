"""The overview's trend chart: verdict counts per snapshot as stacked bars, in SVG.

Same colours as the timeline (watchkeeper.svg); text is escaped here because the SVG is
inserted into the page as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import escape

from watchkeeper.svg import STATUS_COLOURS

__all__ = ["trend_svg"]

_ORDER = ("fail", "error", "manual", "pass")


def trend_svg(points: Sequence[Mapping[str, Any]], width: int = 720, height: int = 160) -> str:
    """One bar per snapshot (oldest left), split by verdict; empty string for no data."""
    if not points:
        return ""
    pad_l, pad_b, pad_t = 36, 22, 8
    plot_w, plot_h = width - pad_l - 4, height - pad_b - pad_t
    top = max(sum(int(p[s]) for s in _ORDER) for p in points) or 1
    slot = plot_w / len(points)
    bar = max(min(slot * 0.7, 48.0), 2.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10" '
        'role="img" aria-label="verdicts per snapshot">',
        f'<text x="{pad_l - 4}" y="{pad_t + 8}" text-anchor="end">{top}</text>',
        f'<text x="{pad_l - 4}" y="{pad_t + plot_h}" text-anchor="end">0</text>',
    ]
    for i, p in enumerate(points):
        x = pad_l + i * slot + (slot - bar) / 2
        y = float(pad_t + plot_h)
        for status in _ORDER:
            n = int(p[status])
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            tip = escape(f"snapshot {p['snapshot_id']} (run {p['run_id']}): {n} {status}")
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{STATUS_COLOURS[status]}"><title>{tip}</title></rect>'
            )
        if len(points) <= 30 or i % max(1, len(points) // 15) == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                f"{int(p['snapshot_id'])}</text>"
            )
    parts.append("</svg>")
    return "\n".join(parts)
