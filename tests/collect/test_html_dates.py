"""A page footer's copyright year is never a publication date (issue 13, item 7)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dissentwatch.collect.html import extract_html

FIXTURES = Path(__file__).parent / "fixtures"


def _page(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_a_copyright_footer_is_no_publication_date() -> None:
    page = extract_html(_page("copyright_footer.html"))
    assert "255-го мотострелкового полка" in page.text
    assert page.published is None  # htmldate alone says 2023-01-01, from «© 2023»


@pytest.mark.parametrize("footer", ["© 2023 Example", "Copyright 2019 Example Media", "(c) 2020 Example",
                                    "&copy; 2022 Example", "© 2015–2024 Example", "Copyright &copy; 2021"])
def test_every_way_of_writing_a_copyright_notice(footer: str) -> None:
    html = _page("copyright_footer.html").replace(
        "© 2023 Вольная газета. Все права защищены. Copyright 2019–2024 Volnaya Media. (c) 2020", footer)
    assert extract_html(html).published is None


def test_the_metadata_date_stays_even_on_new_years_day() -> None:
    assert extract_html(_page("dated_march.html")).published == "2023-03-06"
    # a real 1 January in the page's metadata is kept, though the footer names that year
    assert extract_html(_page("dated_new_year.html")).published == "2023-01-01"


def test_copyright_years() -> None:
    from dissentwatch.collect.html import copyright_years

    assert copyright_years(_page("copyright_footer.html")) == {2023, 2019, 2024, 2020}
    assert copyright_years("<p>Published 2023, about the 2019 case</p>") == set()


def test_collected_html_file_is_undated(cli, store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "page.html"
    shutil.copy(FIXTURES / "copyright_footer.html", page)
    result = cli("collect", "files", str(page))
    assert result.exit_code == 0, result.output
    assert store.query("SELECT published FROM documents")[0][0] is None
