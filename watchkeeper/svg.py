"""Inline SVG drawing: the verdict timeline that `timeline --format svg` and reports embed.

A module of its own, below both analyst and reports, because both draw the same chart and
drawing is not analysis: it imports nothing from watchkeeper, and takes the timeline
through the Protocols below, which analyst.timeline's dataclasses satisfy as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol


class TimelinePointLike(Protocol):
    """One snapshot's verdict: held from ``collected_at`` until the next point."""

    @property
    def snapshot_id(self) -> int: ...
    @property
    def collected_at(self) -> datetime: ...
    @property
    def status(self) -> str: ...


class GapLike(Protocol):
    """A stretch without a snapshot, drawn hatched."""

    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def hours(self) -> float: ...


class TimelineLaneLike(Protocol):
    """One control in one account."""

    @property
    def control_id(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def points(self) -> Sequence[TimelinePointLike]: ...
    @property
    def gaps(self) -> Sequence[GapLike]: ...


class TimelineLike(Protocol):
    """The chart's period (``since``/``until``, else the points' own span) and lanes."""

    @property
    def since(self) -> datetime | None: ...
    @property
    def until(self) -> datetime | None: ...
    @property
    def lanes(self) -> Sequence[TimelineLaneLike]: ...


STATUS_COLOURS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "error": "#6a1b9a",
    "manual": "#f9a825",
}
GAP_COLOUR = "#bdbdbd"


def _esc(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def timeline_svg(data: TimelineLike, width: int = 720, lane_height: int = 16) -> str:
    """One lane per (control, account): each snapshot's verdict holds until the next
    snapshot; grey hatching marks gaps longer than max_gap. Self-contained SVG text."""
    label_w, pad, axis_h = 190, 6, 18
    times = [p.collected_at for lane in data.lanes for p in lane.points]
    t0 = data.since or (min(times) if times else datetime.now(UTC))
    t1 = data.until or (max(times) if times else t0)
    if t1 <= t0:
        t1 = t0 + timedelta(hours=1)
    span = (t1 - t0).total_seconds()
    plot_w = width - label_w - pad

    def x(t: datetime) -> float:
        frac = min(max((t - t0).total_seconds() / span, 0.0), 1.0)
        return label_w + frac * plot_w

    height = axis_h + len(data.lanes) * (lane_height + 4) + pad
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10" '
        'role="img" aria-label="control verdicts over time">',
        '<defs><pattern id="wk-gap" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{GAP_COLOUR}" stroke-width="3"/>'
        "</pattern></defs>",
        f'<text x="{label_w}" y="11">{t0:%Y-%m-%d %H:%M}</text>',
        f'<text x="{width - pad}" y="11" text-anchor="end">{t1:%Y-%m-%d %H:%M}</text>',
    ]
    for i, lane in enumerate(data.lanes):
        y = axis_h + i * (lane_height + 4)
        label = _esc(f"{lane.control_id} · {lane.account_id}")
        parts.append(f'<text x="0" y="{y + lane_height - 4}">{label}</text>')
        for j, p in enumerate(lane.points):
            nxt = lane.points[j + 1].collected_at if j + 1 < len(lane.points) else t1
            x0, x1 = x(p.collected_at), x(nxt)
            w = max(x1 - x0, 3.0)  # the last snapshot stays visible as a tick
            colour = STATUS_COLOURS.get(p.status, GAP_COLOUR)
            tip = _esc(f"snapshot {p.snapshot_id} {p.collected_at:%Y-%m-%d %H:%M}: {p.status}")
            parts.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{lane_height}" '
                f'fill="{colour}"><title>{tip}</title></rect>'
            )
        for g in lane.gaps:
            x0, x1 = x(g.start), x(g.end)
            tip = _esc(f"no snapshot for {g.hours:.0f} h ({g.start:%Y-%m-%d} → {g.end:%Y-%m-%d})")
            parts.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1.0):.1f}" '
                f'height="{lane_height}" fill="url(#wk-gap)"><title>{tip}</title></rect>'
            )
    parts.append("</svg>")
    return "\n".join(parts)
