"""``dissentwatch report``: Markdown, HTML and PDF briefs on invented events."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dissentwatch.publish.report import build_report, safe_url
from dissentwatch.publish.report_markdown import md_text
from dissentwatch.publish.report_period import Period, PeriodError
from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.review.decisions import confirm, merge, reject
from dissentwatch.store import Store
from eventfactory import add_document, mention, save

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")

BEL = {"name": "Belgorod Oblast", "iso": "RU-BEL", "lat": 50.6, "lon": 36.6}
BU = {"name": "Republic of Buryatia", "iso": "RU-BU", "lat": 51.83, "lon": 107.58}
HOSTILE = '<img src=x onerror="alert(1)"><script>alert("x")</script> [link](javascript:alert(2)) | *bold*'
QUOTE = "мы не пушечное мясо, заявили бойцы"


@pytest.fixture
def report_store(store: Store) -> Iterator[Store]:
    """Invented posts: in 6–19 March 2024 a video appeal from Belgorod (two sources, confirmed), a
    refusal from Buryatia located in Ulan-Ude, a desertion with hostile text; one appeal of the
    week before (the previous period) and one rejected event in the period."""
    a = add_document(store, "tg/1", f"Бойцы 7-й бригады из Белгородской области: «{QUOTE}». Видео 7 марта.",
                     published="2024-03-07T09:00:00Z", outlet="Канал Один", source_kind="telegram")
    save(store, a, mention(store, a, "video_appeal", f"Бойцы 7-й бригады из Белгородской области: «{QUOTE}»",
                           fields={"unit": {"name": "7-й бригады", "number": "7", "kind": "brigade"},
                                   "date": "2024-03-07", "home_regions": [BEL]},
                           evidence={"unit": "7-й бригады", "date": "7 марта", "home_regions": "Белгородской области"}))
    b = add_document(store, "en/1", "Soldiers of the 7th brigade from Belgorod posted an appeal on March 7.",
                     published="2024-03-08T10:00:00Z", language="en", outlet="Outlet Two")
    save(store, b, mention(store, b, "video_appeal", "posted an appeal on March 7",
                           fields={"unit": {"name": "7th brigade", "number": "7", "kind": "brigade"},
                                   "date": "2024-03-07", "home_regions": [BEL]},
                           evidence={"unit": "7th brigade", "home_regions": "Belgorod"}))
    c = add_document(store, "tg/2", "Мобилизованные из Бурятии отказались выполнять приказ 14 марта в Улан-Удэ.",
                     published="2024-03-15T09:00:00Z", outlet="Канал Один", source_kind="telegram")
    save(store, c, mention(store, c, "refusal", "отказались выполнять приказ",
                           fields={"date": "2024-03-14", "home_regions": [BU],
                                   "location": {"name": "Ulan-Ude", "lat": 51.83, "lon": 107.58, "precision": "city"}},
                           evidence={"date": "14 марта", "home_regions": "Бурятии", "location": "Улан-Удэ"}))
    d = add_document(store, "web/1", f"Солдат дезертировал 16 марта. {HOSTILE}", published="2024-03-16T09:00:00Z",
                     outlet=HOSTILE[:40], url="javascript:alert(3)")
    save(store, d, mention(store, d, "desertion", f"дезертировал 16 марта. {HOSTILE}", fields={"date": "2024-03-16"},
                           evidence={"date": "16 марта"}))
    e = add_document(store, "tg/3", "Жёны мобилизованных записали обращение 1 марта.", published="2024-03-01T09:00:00Z",
                     source_kind="telegram")
    save(store, e, mention(store, e, "video_appeal", "записали обращение 1 марта", fields={"date": "2024-03-01"},
                           evidence={"date": "1 марта"}))
    f = add_document(store, "tg/4", "Старое видео о мятеже 10 марта оказалось фейком.", published="2024-03-10T09:00:00Z",
                     source_kind="telegram")
    save(store, f, mention(store, f, "mutiny", "видео о мятеже 10 марта", fields={"date": "2024-03-10"},
                           evidence={"date": "мятеже 10 марта"}))
    resolve_mentions(store)
    ids = {r["external_id"]: r["event_id"] for r in store.query(
        "SELECT d.external_id, em.event_id FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
        "JOIN documents d ON d.id = m.document_id")}
    if ids["tg/1"] != ids["en/1"]:
        merge(store, ids["tg/1"], ids["en/1"], "analyst")
    confirm(store, ids["tg/1"], "analyst")
    reject(store, ids["tg/4"], "analyst")
    store.conn.execute("UPDATE decisions SET at = '2024-03-12T10:00:00Z'")
    yield store


def _report(cli, tmp_path: Path, fmt: str, *args: str) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path / f"brief.{fmt}"
    result = cli("report", "--since", "2024-03-06", "--until", "2024-03-19", "--format", fmt, "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    return out


def test_period_parsing_and_the_previous_period() -> None:
    march = Period.parse("2024-03", "2024-03")
    assert (march.since.isoformat(), march.until.isoformat(), march.days) == ("2024-03-01", "2024-03-31", 31)
    assert Period.parse("2024-03-06", "2024-03-19").previous() == Period.parse("2024-02-21", "2024-03-05")
    assert Period.parse("2024-03-06", "2024-03-19").label == "6 – 19 March 2024"
    with pytest.raises(PeriodError, match="is before"):
        Period.parse("2024-03-19", "2024-03-06")
    for bad in ("2024-13-01", "2024-02-30", "yesterday", "06.03.2024"):
        with pytest.raises(PeriodError, match="not a date"):
            Period.parse(bad, "2024-12-31")


def test_report_figures(report_store: Store) -> None:
    report = build_report(report_store, Period.parse("2024-03-06", "2024-03-19"))
    assert (report.events, report.confirmed, report.candidates, report.rejected) == (3, 1, 2, 1)
    assert report.regions == 2 and report.previous_events == 1
    assert {t["type"]: (t["events"], t["previous"]) for t in report.by_type} == {
        "video_appeal": (1, 1), "refusal": (1, 0), "desertion": (1, 0)}
    assert [w["week"].isoformat() for w in report.weeks] == ["2024-03-04", "2024-03-11", "2024-03-18"]
    assert report.weeks[0]["types"] == {"video_appeal": 1}
    assert report.review["confirm"] == 1 and report.review["reject"] == 1
    assert [r["iso"] for r in report.home_regions] == ["RU-BEL", "RU-BU"]
    assert report.locations[0]["name"] == "Ulan-Ude"
    appeal = next(e for e in report.table if e["type"] == "video_appeal")
    assert appeal["quote"]["language"] == "ru" and appeal["quote"]["fields"] == ["event type", "unit", "home regions"]
    assert len(appeal["sources"]) == 2
    only = build_report(report_store, Period.parse("2024-03-06", "2024-03-19"), ["refusal"], max_events=0)
    assert only.events == 1 and only.table == [] and only.not_listed == 1


def test_markdown_report(report_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = _report(cli, tmp_path, "md")
    text = out.read_text("utf-8")
    assert text.startswith("# Soldiers' dissent: 6 – 19 March 2024")
    assert "3 events dated 6 – 19 March 2024: 1 confirmed by an analyst and 2 candidates" in text
    assert "| Video appeal | 1 | 1 | 1 | +0 |" in text
    assert QUOTE in text and "backs: " in text
    assert "![Events per week, by type](brief-weekly.png)" in text
    for png in ("brief-weekly.png", "brief-map.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<script>" not in text and "<img" not in text
    assert re.search(r"(?<!\\)\]\(javascript:", text) is None and "\\](javascript:" in text
    assert "&lt;script&gt;" in text
    assert "analysts confirmed 1 event and rejected 1 event" in text  # the review activity
    assert "## Methods" in text and "test.v1" in text


def test_html_report_is_self_contained_and_escaped(report_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    html = _report(cli, tmp_path, "html").read_text("utf-8")
    assert "<script" not in html and "onerror=" not in html.replace("onerror=&#34;", "")
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert re.findall(r'src="(?!data:image/png;base64,)', html) == []  # no resource but inline images
    assert "<link" not in html and "url(" not in html and "@import" not in html
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 2
    assert "https://example.org/tg/1" in html  # a source link
    assert QUOTE in html and "Ulan-Ude" in html
    assert re.search(r'class="n">3</span><span class="what">events', html)


def test_empty_period(report_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "empty.md"
    result = cli("report", "--since", "2020-01-01", "--until", "2020-01-31", "--format", "md", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    assert "No event dated 1 – 31 January 2020 matches" in text and "No event." in text
    html = tmp_path / "empty.html"
    assert cli("report", "--since", "2020-01", "--until", "2020-01", "--format", "html", "--out", str(html)).exit_code == 0
    assert "No event." in html.read_text("utf-8")


def test_bad_dates_are_clear_errors(report_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = str(tmp_path / "x.html")
    bad = cli("report", "--since", "2024-02-30", "--until", "2024-03-01", "--format", "html", "--out", out)
    assert bad.exit_code == 2 and "since '2024-02-30' is not a date" in bad.output
    reversed_ = cli("report", "--since", "2024-03-19", "--until", "2024-03-06", "--format", "html", "--out", out)
    assert reversed_.exit_code == 2 and "is before --since" in reversed_.output
    assert cli("report", "--since", "2024-03-01", "--format", "html", "--out", out).exit_code == 2
    assert not (tmp_path / "x.html").exists()


def test_map_and_chart_draw_any_text(tmp_path: Path) -> None:
    from dissentwatch.publish.report_figures import region_map, weekly_chart

    places = [{"name": "$\\frac{1}{$ <b>", "lat": 55.75, "lon": 37.62, "events": 3}]
    regions = [{"iso": "RU-MOW", "name": "Moscow", "events": 3}, {"iso": "XX-ZZ", "name": "?", "events": 1}]
    assert region_map(regions, places)[:4] == b"\x89PNG"
    assert region_map([], [])[:4] == b"\x89PNG"
    period = Period.parse("2024-01-01", "2024-12-31")
    assert weekly_chart([{"week": m, "types": {"refusal": 1}} for m in period.mondays()], period)[:4] == b"\x89PNG"


def test_type_filter_on_the_command_line(report_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = _report(cli, tmp_path, "md", "--type", "refusal", "--type", "desertion").read_text("utf-8")
    assert "2 events dated" in text and "Types: Refusal to fight, Desertion" in text
    bad = cli("report", "--since", "2024-03-06", "--until", "2024-03-19", "--type", "refusl", "--format", "md",
              "--out", str(tmp_path / "x.md"))
    assert bad.exit_code == 2 and "did you mean 'refusal'" in bad.output


def test_escaping_helpers() -> None:
    assert safe_url("javascript:alert(1)") is None and safe_url("https://e.org/a") == "https://e.org/a"
    assert safe_url('https://e.org/"onmouseover=') is None
    assert md_text("<b>|[x](y)") == "&lt;b&gt;\\|\\[x\\](y)"


def test_pdf_report(report_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("weasyprint")
    pdf = _report(cli, tmp_path, "pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(raw.split())
    assert "Soldiers' dissent: 6 – 19 March 2024" in text
    assert "3 events dated 6 – 19 March 2024: 1 confirmed by an analyst and 2 candidates" in text
    assert "candidates, not yet" in text and "home regions involved" in text
    assert QUOTE in text
    assert "<script>" in text  # shown as text, never run
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3  # headline and chart; map, changes and events; methods
    chart, world, methods = (_ink(p) for p in pages[:3])
    assert chart[1] > 0.02, "no coloured chart on the first page"
    assert world[0] > 2 * methods[0], "no map on the second page (as much ink as a page of text)"


def _ink(page: Path) -> tuple[float, float]:
    """(share of pixels that are not white, share that are coloured): a chart is coloured, a map
    page (grey countries, blue sea) is mostly not white, a page of text mostly is."""
    from matplotlib.image import imread

    pixels = imread(str(page))[..., :3]
    spread = pixels.max(axis=2) - pixels.min(axis=2)
    return float((pixels.min(axis=2) < 0.9).mean()), float((spread > 0.2).mean())
