"""The health report's chart as a PNG, drawn with matplotlib's Agg backend.

Why matplotlib: it is the plotting library whose wheels exist for Lambda's platform
(manylinux aarch64, CPython 3.13) with everything compiled in, draws with Agg (an
anti-aliasing rasteriser of its own, no display, no browser, no system libraries), and
writes PNG through its bundled Pillow; its size fits the dependencies layer (README, "The
health report"). The figure is built with the object API (``Figure``), not ``pyplot``: no
global state, nothing left open between warm invocations.

Imported only when a report is posted: the notifier's other events never load it.
"""

from __future__ import annotations

import io

from bot.domain.health_report import ChartData

#: Side → line colour (EC2 and ECS as the card names them).
_COLOURS = {"EC2": "#ff9900", "ECS": "#1f77b4"}
WIDTH_INCHES, HEIGHT_INCHES, DPI = 9.0, 5.0, 100


def render_png(chart: ChartData) -> bytes:
    """Two panels, hourly: requests per side above, target 5xx per side below."""
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    requests, errors = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    # Each hour is drawn as a flat step over the whole hour, the last one up to the window's end.
    edges = [*chart.hours, chart.hours[-1] + (chart.hours[-1] - chart.hours[-2])]
    for axes, series in ((requests, chart.requests), (errors, chart.errors_5xx)):
        for label, values in series.items():
            axes.step(
                edges, [*values, values[-1]], where="post", label=label, color=_COLOURS.get(label)
            )
        highest = max((max(v) for v in series.values()), default=0)
        axes.set_ylim(bottom=0, top=max(1.0, highest * 1.15))
        axes.grid(True, alpha=0.3)
        axes.legend(loc="upper left", fontsize="small")
    requests.set_ylabel("requests / hour")
    errors.set_ylabel("5xx / hour")
    errors.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    errors.set_xlabel("UTC")
    figure.suptitle(chart.title + (" (no requests)" if chart.empty else ""), fontsize="medium")
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
