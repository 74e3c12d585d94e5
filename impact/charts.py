"""Charts drawn on the server as SVG: no JavaScript, readable on any phone, and printable.

One shape serves every picture: horizontal bars, a label above each, its figure at the end
(long Spanish municipality names fit a 360 px screen that way). Text is escaped here.
"""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 320
ROW = 34
BAR = 14
PALETTE = ("#2f6b3a", "#a8552f", "#4d6e99", "#8a7a2b")


@dataclass
class Bar:
    label: str
    value: float
    shown: str  # the figure as people read it ("$ 12.500", "< 5")
    colour: int = 0


def bar_chart(bars: list[Bar], *, title: str) -> SafeString:
    """A horizontal bar chart; `title` is its accessible name. Empty when there is nothing."""
    if not bars:
        return mark_safe("")
    top = max((b.value for b in bars), default=0) or 1
    height = ROW * len(bars) + 6
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, bar in enumerate(bars):
        y = i * ROW
        length = max(int((WIDTH - 90) * (bar.value / top)), 2 if bar.value else 0)
        colour = PALETTE[bar.colour % len(PALETTE)]
        parts.append(
            f'<text x="0" y="{y + 12}" font-size="12" fill="#222">{escape(bar.label)}</text>'
            f'<rect x="0" y="{y + 16}" width="{length}" height="{BAR}" rx="2" fill="{colour}"></rect>'
            f'<text x="{length + 6}" y="{y + 28}" font-size="12" fill="#222">{escape(bar.shown)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
