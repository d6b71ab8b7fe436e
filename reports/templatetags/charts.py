"""The data table under every chart: the same figures the canvas draws, for screen readers and for
anyone without JavaScript (the canvas stays blank then)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


def _value(value: Any, percent: bool) -> str:
    if value is None:
        return "—"
    if percent:
        return f"{float(value):.0f} %"
    return str(value)


@register.simple_tag
def chart_table(spec: dict[str, Any], caption: str) -> SafeString:
    """``{% chart_table trend_chart "Gap over time" %}``: a ``<details>`` with one row per point
    and one column per series of the spec ``reports.selectors._chart`` builds."""
    series = spec["series"]
    percent = bool(spec.get("percent"))
    head = format_html_join("", '<th scope="col">{}</th>', ((s["label"],) for s in series))
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        (
            (
                label,
                format_html_join(
                    "",
                    '<td class="num">{}</td>',
                    ((_value(s["data"][i], percent),) for s in series),
                ),
            )
            for i, label in enumerate(spec["labels"])
        ),
    )
    return format_html(
        '<details class="chart-data"><summary>{} as a table</summary>'
        '<table class="table"><caption>{}</caption>'
        '<thead><tr><th scope="col">Day</th>{}</tr></thead><tbody>{}</tbody></table></details>',
        caption,
        caption,
        head,
        rows,
    )
