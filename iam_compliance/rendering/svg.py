"""Small charts as inline SVG, drawn in Python when the report is built: no script, no external resource.

Every chart states its numbers as text beside the shapes and carries a <title> and an aria-label
that say the same in words, so it reads the same to a screen reader, in a greyscale print-out, and
to Ctrl-F. The fills have clearly different lightness, and the worst parts are also hatched.
Every value is escaped: labels may come from the account (check ids, framework names).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from itertools import count

# Fill colours by meaning, ordered dark to light so that neighbours stay apart in greyscale.
FILLS = {
    "critical": "#5c0000", "high": "#c62828", "medium": "#ef6c00", "low": "#f4c542", "informational": "#b0bec5",
    "failing": "#b71c1c", "error": "#f39c12", "clean": "#2e7d32", "not-applicable": "#d5dadd",
    "met": "#2e7d32", "not-met": "#b71c1c", "settings-changed": "#f9a825", "not-automated": "#d5dadd", "not-in-scope": "#ffffff",
    "retired": "#eeeeee", "waived": "#6a5acd",
    "new": "#b71c1c", "known": "#ef6c00", "resolved": "#2e7d32", "unverified": "#f4c542",
}
HATCHED = {"critical", "failing", "not-met", "new"}  # hatched as well as dark: the worst reads without colour

_ids = count(1)  # unique pattern ids when several charts share a page


@dataclass(frozen=True)
class Part:
    label: str  # "High", "Could not evaluate"
    value: int
    kind: str  # a FILLS key


def _hatch(pattern_id: str) -> str:
    return (f'<defs><pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="none"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2" stroke-opacity=".55"/></pattern></defs>')


def _bar(x: float, y: float, width: float, height: float, kind: str, pattern_id: str) -> str:
    fill = FILLS.get(kind, "#999999")
    rect = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{fill}" '
            'stroke="#555" stroke-width=".6"/>')
    if kind in HATCHED:
        rect += f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="url(#{pattern_id})"/>'
    return rect


def _svg(width: int, height: int, title: str, body: str) -> str:
    label = escape(title)
    return (f'<svg class="chart" role="img" aria-label="{label}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{label}</title>{body}</svg>")


def bar_chart(title: str, parts: list[Part], *, width: int = 360, label_width: int = 120) -> str:
    """One horizontal bar per part, its value written at the end of the bar."""
    row, bar_height = 22, 14
    height = row * len(parts) + 6
    top = max((p.value for p in parts), default=0) or 1
    room = width - label_width - 56
    pattern_id = f"hatch{next(_ids)}"
    body = [_hatch(pattern_id)]
    for index, part in enumerate(parts):
        y = 4 + index * row
        length = room * part.value / top
        body.append(f'<text x="{label_width - 6}" y="{y + bar_height - 3}" text-anchor="end" class="chart-label">'
                    f"{escape(part.label)}</text>")
        if part.value:
            body.append(_bar(label_width, y, max(length, 2), bar_height, part.kind, pattern_id))
        body.append(f'<text x="{label_width + max(length, 2) + 5:.1f}" y="{y + bar_height - 3}" class="chart-value">'
                    f"{part.value:,}</text>")
    words = ", ".join(f"{p.label}: {p.value:,}" for p in parts)
    return _svg(width, height, f"{title}. {words}", "".join(body))


def stacked_bar(title: str, parts: list[Part], *, width: int = 360) -> str:
    """One bar split in proportion, with a legend that gives every part's number in words."""
    bar_height, legend_row = 18, 17
    total = sum(p.value for p in parts)
    shown = [p for p in parts if p.value]
    height = bar_height + 8 + legend_row * ((len(parts) + 1) // 2)
    pattern_id = f"hatch{next(_ids)}"
    body = [_hatch(pattern_id)]
    x = 0.0
    for part in shown:
        length = (width - 2) * part.value / total
        body.append(_bar(1 + x, 1, length, bar_height, part.kind, pattern_id))
        x += length
    if not total:
        body.append(f'<rect x="1" y="1" width="{width - 2}" height="{bar_height}" fill="#fff" stroke="#999"/>'
                    f'<text x="{width / 2}" y="{bar_height - 4}" text-anchor="middle" class="chart-label">none</text>')
    column = width / 2
    for index, part in enumerate(parts):
        lx, ly = (index % 2) * column, bar_height + 8 + (index // 2) * legend_row
        body.append(_bar(lx + 1, ly + 1, 10, 10, part.kind, pattern_id))
        body.append(f'<text x="{lx + 16}" y="{ly + 10}" class="chart-label">{escape(part.label)}: {part.value:,}</text>')
    words = ", ".join(f"{p.label}: {p.value:,}" for p in parts)
    return _svg(width, height, f"{title}. {words} (of {total:,})", "".join(body))


def score_bars(title: str, rows: list[tuple[str, list[Part], str]], *, width: int = 560, label_width: int = 110) -> str:
    """One stacked bar per row (a framework), each with its label before and its score after."""
    row_height, bar_height = 26, 16
    height = row_height * len(rows) + 4
    note_width = 150
    room = width - label_width - note_width
    pattern_id = f"hatch{next(_ids)}"
    body = [_hatch(pattern_id)]
    for index, (label, parts, note) in enumerate(rows):
        y = 4 + index * row_height
        body.append(f'<text x="{label_width - 6}" y="{y + bar_height - 4}" text-anchor="end" class="chart-label">'
                    f"{escape(label)}</text>")
        total = sum(p.value for p in parts) or 1
        x = float(label_width)
        for part in parts:
            if part.value:
                length = room * part.value / total
                body.append(_bar(x, y, length, bar_height, part.kind, pattern_id))
                x += length
        body.append(f'<text x="{label_width + room + 6}" y="{y + bar_height - 4}" class="chart-value">'
                    f"{escape(note)}</text>")
    words = "; ".join(f"{label}: {note}" for label, _, note in rows)
    return _svg(width, height, f"{title}. {words}", "".join(body))
