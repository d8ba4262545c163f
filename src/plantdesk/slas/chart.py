"""The attainment chart as server-drawn SVG: one bar per group, priority or site, the share of clocks met over
the period, with the target drawn as a line. Geometry is worked out here so the template only places shapes
(presentation attributes, no inline styles, no chart library)."""

from __future__ import annotations

from dataclasses import dataclass

from plantdesk.slas.report import Row

TARGET_PERCENT = 90  # below this a bar is drawn as "low" (amber), as on the record's SLA card
WIDTH = 800
LABEL_WIDTH = 190
PLOT_WIDTH = 470
ROW_HEIGHT = 34
BAR_HEIGHT = 18
TOP = 28  # room for the scale above the bars
BOTTOM = 12


@dataclass(frozen=True)
class Bar:
    key: str
    percent: float
    met: int
    total: int
    y: float
    width: float

    @property
    def low(self) -> bool:
        return self.percent < TARGET_PERCENT

    @property
    def text_y(self) -> float:
        return self.y + BAR_HEIGHT - 4


@dataclass(frozen=True)
class Tick:
    percent: int
    x: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    ticks: list[Tick]
    target_x: float
    height: float
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    plot_width: int = PLOT_WIDTH
    value_x: int = LABEL_WIDTH + PLOT_WIDTH + 12
    target: int = TARGET_PERCENT

    @property
    def plot_end(self) -> int:
        return self.label_width + self.plot_width

    @property
    def low_keys(self) -> list[str]:
        return [bar.key for bar in self.bars if bar.low]


def _x(percent: float) -> float:
    return round(LABEL_WIDTH + PLOT_WIDTH * min(max(percent, 0.0), 100.0) / 100, 1)


def attainment_chart(totals: list[Row]) -> Chart | None:
    """The chart of the period's totals per key (report.totals_by_key), or None when no clock ended."""
    if not totals:
        return None
    bars = [
        Bar(row.key, row.percent, row.met, row.total, y=TOP + i * ROW_HEIGHT, width=_x(row.percent) - LABEL_WIDTH)
        for i, row in enumerate(totals)
    ]
    ticks = [Tick(p, _x(p)) for p in (0, 25, 50, 75, 100)]
    return Chart(bars, ticks, target_x=_x(TARGET_PERCENT), height=TOP + len(bars) * ROW_HEIGHT + BOTTOM)
