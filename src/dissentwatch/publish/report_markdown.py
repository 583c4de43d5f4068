"""The Markdown brief of :mod:`dissentwatch.publish.report`.

Every text from the store goes through :func:`md_text`: HTML's ``&``, ``<`` and ``>`` become
entities (a Markdown viewer renders raw HTML, so a post's ``<script>`` must not survive), and
the characters that would make Markdown syntax (``|``, ``*``, ``_``, brackets, backticks, ``!`` ...) are
backslash-escaped, so a post cannot add a link, a table cell or an image.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dissentwatch.publish.report_text import methods_lines, review_lines

if TYPE_CHECKING:
    from dissentwatch.publish.report import Report

_MARKDOWN = re.compile(r"([\\`*_{}\[\]#!|~])")


def md_text(value: Any) -> str:
    """Text safe in Markdown and in the HTML a viewer makes of it; one line."""
    text = " ".join(str(value if value is not None else "").split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", text)


def _link(text: str, url: str | None) -> str:
    return f"[{md_text(text)}](<{url}>)" if url else md_text(text)


def render_markdown(report: Report, chart_file: str, map_file: str) -> str:
    lines = [f"# {md_text(report.title)}", "",
             f"*{md_text(report.filters_line)}. Generated {report.generated} by dissentwatch {report.version}.*", "",
             "## Headline", "", md_text(report.headline()), ""]
    lines += _type_table(report)
    lines += ["## Events per week", "", f"![Events per week, by type]({chart_file})", ""]
    if report.not_in_weeks:
        lines += [f"{report.not_in_weeks} events dated only to a month or a year are counted above but are in "
                  "no week of the chart.", ""]
    lines += ["## Home regions and places", "", f"![Map of home regions and places]({map_file})", ""]
    lines += _region_lines(report)
    lines += ["## What changed since the previous report", ""]
    lines += [f"- {md_text(line)}" for line in [report.change_line(), *review_lines(report)]] + [""]
    lines += _event_table(report)
    lines += ["## Methods", ""] + [f"- {md_text(line)}" for line in methods_lines(report)] + [""]
    return "\n".join(lines)


def _type_table(report: Report) -> list[str]:
    if not report.by_type:
        return []
    lines = ["| type | events | confirmed | previous period | change |", "|---|---:|---:|---:|---:|"]
    for t in report.by_type:
        lines.append(f"| {md_text(t['label'])} | {t['events']:,} | {t['confirmed']:,} | {t['previous']:,} | "
                     f"{t['change']:+,} |")
    return [*lines, ""]


def _region_lines(report: Report) -> list[str]:
    if not report.home_regions:
        return ["No event of the period names the soldiers' home region.", ""]
    top = ", ".join(f"{md_text(r['name'] or r['iso'])} ({r['events']})" for r in report.home_regions[:12])
    more = len(report.home_regions) - 12
    return [f"Home regions: {top}" + (f", and {more} more" if more > 0 else "") + ".", ""]


def _event_table(report: Report) -> list[str]:
    lines = ["## Events of the period", ""]
    if not report.table:
        return [*lines, "No event.", ""]
    lines += ["| date | type | unit | regions | quote (original language) | sources |", "|---|---|---|---|---|---|"]
    for e in report.table:
        quote = e["quote"]
        quoted = (f"«{md_text(quote['text'])}» ({md_text(quote['language'])}; backs: "
                  f"{md_text(', '.join(quote['fields']))})") if quote else ""
        regions = ", ".join(md_text(r) for r in e["home_regions"])
        if e["location"]:
            regions += (f"; at {md_text(e['location'])}" if regions else f"at {md_text(e['location'])}")
        sources = ", ".join(_link(s["outlet"], s["url"]) for s in e["sources"])
        if e["more_sources"]:
            sources += f", and {e['more_sources']} more"
        lines.append(f"| {md_text(e['date'])}, {md_text(e['date_kind'])} | {md_text(e['type_label'])}"
                     f"{' (relatives)' if e['by_relatives'] else ''}, {md_text(e['review_status'])} | "
                     f"{md_text(e['unit'])} | {regions} | {quoted} | {sources} |")
    if report.not_listed:
        lines += ["", f"{report.not_listed:,} more events not listed (the table lists the {len(report.table)} with "
                      "the most sources); `dissentwatch export events` with the same --since/--until/--type "
                      "has them all."]
    return [*lines, ""]
