"""Pure pieces of the web app: evidence highlighting, CSV cells, URLs, the base map."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dissentwatch.web import basemap
from dissentwatch.web.views import csv_safe, highlight, safe_url

spans = st.lists(st.tuples(st.integers(-5, 60), st.integers(-5, 60), st.sampled_from(["unit", "date", "type"])),
                 max_size=6)


@given(text=st.text(max_size=50), spans=spans)
def test_highlight_cuts_the_text_without_loss(text: str, spans: list[tuple[int, int, str]]) -> None:
    segments = highlight(text, spans)
    assert "".join(s["text"] for s in segments) == text
    for seg in segments:
        start, end = seg["start"], seg["start"] + len(seg["text"])
        assert start < end
        inside = [(max(s, 0), min(e, len(text)), f) for s, e, f in spans]
        expected = {f for s, e, f in inside if s < e and s <= start and end <= e}
        assert set(seg["fields"]) == expected


def test_highlight_overlapping_spans() -> None:
    segments = highlight("abcdefgh", [(1, 5, "unit"), (3, 7, "date")])
    assert [(s["text"], s["fields"]) for s in segments] == [
        ("a", []), ("bc", ["unit"]), ("de", ["date", "unit"]), ("fg", ["date"]), ("h", [])]


def test_csv_cells_never_become_formulas() -> None:
    row = csv_safe({"a": "=HYPERLINK(\"http://x\")", "b": "-12.5", "c": "+cmd", "d": None, "e": True, "f": "@x"})
    assert row == {"a": "'=HYPERLINK(\"http://x\")", "b": "-12.5", "c": "'+cmd", "d": "", "e": "true", "f": "'@x"}


def test_only_http_links() -> None:
    assert safe_url("https://example.org/a") == "https://example.org/a"
    assert safe_url(" javascript:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url(None) is None


def test_base_map_is_bundled_and_projects_places() -> None:
    names = [name for name, _ in basemap.country_paths()]
    assert "Russia" in names and "Ukraine" in names
    moscow, kaliningrad, vladivostok = basemap.project(37.6, 55.75), basemap.project(20.5, 54.7), basemap.project(131.9, 43.1)
    assert kaliningrad[0] < moscow[0] < vladivostok[0]  # west to east
    assert basemap.project(33.0, 69.0)[1] < moscow[1]  # Murmansk is north (up) of Moscow
    assert basemap.project(-175.0, 65.0)[0] > moscow[0]  # Chukotka, across the antimeridian, stays east
