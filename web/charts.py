"""A unit's last 30 days as an inline SVG chart, drawn on the server.

Hand-built rather than with pygal: pygal's SVG carries its own <style> and script,
which the site's Content-Security-Policy (no inline style or script) would block, and
two small panels need only rectangles and a polyline. The numbers come out as plain
geometry; the template (``pages/_trend.html``) writes the SVG, so every text in it is
escaped like any other page text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from monitor.store import Store

DAYS = 30
WIDTH, LEFT, RIGHT = 640, 44, 8
COUNTS_TOP, COUNTS_HEIGHT = 10, 110  # late people and absences, bars side by side
MINUTES_TOP, MINUTES_HEIGHT = 150, 60  # late minutes, a line


def _scale(values: list[float]) -> float:
    """A round top for the axis (1, 2, 5, 10, 20, 50, ...), at least the largest value."""
    largest = max(values, default=0) or 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= largest:
                return step * factor
        step *= 10


def unit_trend(store: Store, unit_codes: Sequence[str] | None, day: date) -> dict[str, Any]:
    """The chart's geometry for the 30 days ending on ``day`` over ``unit_codes``
    (``None`` or empty: no chart)."""
    if not unit_codes:
        return {"days": []}
    first = day - timedelta(days=DAYS - 1)
    found = {row["day"]: row for row in store.day_trend(unit_codes, first, day)}
    series = []
    for offset in range(DAYS):
        current = first + timedelta(days=offset)
        row = found.get(current.isoformat(), {})
        series.append({
            "day": current,
            "late": int(row.get("late") or 0),
            "late_minutes": int(row.get("late_minutes") or 0),
            "absent": float(row.get("absent") or 0),
            "judged": bool(row),
        })
    slot = (WIDTH - LEFT - RIGHT) / DAYS
    top_counts = _scale([max(p["late"], p["absent"]) for p in series])
    top_minutes = _scale([p["late_minutes"] for p in series])
    bar = slot * 0.38
    for index, point in enumerate(series):
        x = LEFT + index * slot
        point["x_late"] = round(x + slot * 0.1, 1)
        point["x_absent"] = round(x + slot * 0.1 + bar, 1)
        point["bar"] = round(bar, 1)
        for key in ("late", "absent"):
            height = COUNTS_HEIGHT * point[key] / top_counts
            point[f"h_{key}"] = round(height, 1)
            point[f"y_{key}"] = round(COUNTS_TOP + COUNTS_HEIGHT - height, 1)
        point["cx"] = round(x + slot / 2, 1)
        point["cy"] = round(MINUTES_TOP + MINUTES_HEIGHT - MINUTES_HEIGHT * point["late_minutes"] / top_minutes, 1)
    return {
        "days": series,
        "width": WIDTH,
        "height": MINUTES_TOP + MINUTES_HEIGHT + 24,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "counts_top": COUNTS_TOP,
        "counts_bottom": COUNTS_TOP + COUNTS_HEIGHT,
        "minutes_top": MINUTES_TOP,
        "minutes_bottom": MINUTES_TOP + MINUTES_HEIGHT,
        "top_counts": top_counts,
        "top_minutes": top_minutes,
        "line": " ".join(f"{p['cx']},{p['cy']}" for p in series),
        "totals": {
            "late": sum(p["late"] for p in series),
            "late_minutes": sum(p["late_minutes"] for p in series),
            "absent": sum(p["absent"] for p in series),
        },
    }
