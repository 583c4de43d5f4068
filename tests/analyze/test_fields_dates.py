"""Dates: absolute in four languages, numeric, month only, relative to the publication date."""

from __future__ import annotations

import pytest

from dissentwatch.analyze.fields.dates import find_dates


@pytest.mark.parametrize(
    ("text", "published", "value", "precision"),
    [
        ("Ролик появился 14 января 2024 года.", None, "2024-01-14", "day"),
        ("Ролик появился 14 января.", None, "--01-14", "day"),
        ("Ролик появился 14 января.", "2024-01-20T10:00:00Z", "2024-01-14", "day"),
        ("Ролик появился 28 декабря.", "2024-01-05", "2023-12-28", "day"),
        ("The clip was posted on January 14.", None, "--01-14", "day"),
        ("The clip was posted on 14 January 2024.", None, "2024-01-14", "day"),
        ("La vidéo a été publiée le 1er février.", "2024-02-03", "2024-02-01", "day"),
        ("Відео з'явилося 3 лютого.", None, "--02-03", "day"),
        ("Письмо датировано 03.02.2024.", None, "2024-02-03", "day"),
        ("Это случилось в ноябре 2022 года.", None, "2022-11", "month"),
        ("Вчера бойцы записали видео.", "2024-03-10", "2024-03-09", "day"),
        ("They recorded it yesterday.", "2024-03-10", "2024-03-09", "day"),
        ("В понедельник бойцы записали видео.", "2024-03-10", "2024-03-04", "day"),
        ("On Friday the men walked out.", "2024-03-10", "2024-03-08", "day"),
    ],
)
def test_dates(text: str, published: str | None, value: str, precision: str) -> None:
    first = find_dates(text, 0, len(text), published)[0]
    assert (first.value, first.precision) == (value, precision)


def test_relative_dates_need_a_publication_date() -> None:
    assert find_dates("Вчера бойцы записали видео.", 0, 27, None) == []


def test_background_dates_are_skipped() -> None:
    text = "Их мобилизовали в сентябре 2022 года, видео записано 2 марта 2023 года."
    assert [d.value for d in find_dates(text, 0, len(text), None)] == ["2023-03-02"]


@pytest.mark.parametrize(
    ("text", "published", "value"),
    [
        ("Earlier this month the brigade refused.", "2024-05-20", "2024-05"),
        ("В прошлом месяце бойцы записали видео.", "2024-01-15", "2023-12"),
        ("Last week a letter reached the governor.", "2024-06-03", "2024-05"),
    ],
)
def test_relative_months(text: str, published: str, value: str) -> None:
    first = find_dates(text, 0, len(text), published)[0]
    assert (first.value, first.precision) == (value, "month")


def test_the_start_of_the_invasion_and_since_dates_are_background() -> None:
    text = "С 24 февраля 2022 года идёт вторжение. 24 февраля 2022 года началась война, а 3 апреля 2023 года рота ушла."
    assert [d.value for d in find_dates(text, 0, len(text), None)] == ["2023-04-03"]
