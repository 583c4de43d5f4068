"""The shared checks of ``dissentwatch.validation``: vocabulary keys, dates and regions."""

from __future__ import annotations

import pytest

from dissentwatch.validation import (
    InvalidValue,
    check_event_date,
    check_event_filters,
    check_key,
    check_region,
    date_precision_of,
)


def test_unknown_key_names_the_value_the_closest_key_and_all_keys() -> None:
    with pytest.raises(InvalidValue) as error:
        check_key("type", "refusl")
    message = str(error.value)
    assert message.startswith("unknown type 'refusl' (did you mean 'refusal'?)")
    assert "allowed: video_appeal, written_appeal, refusal, mutiny" in message
    assert check_key("grievances", "pay") == "pay"


@pytest.mark.parametrize("value", ["2023", "2023-03", "2023-03-06", "--03-06", "--02-29", "2024-02-29"])
def test_event_dates_of_the_event_model_pass(value: str) -> None:
    assert check_event_date(value) == value


@pytest.mark.parametrize("value", ["garbage", "2023-13", "2023-02-29", "--02-30", "2023-3-6", "06.03.2023",
                                   "-03-06", "2023-03-06T10:00", "", 2023, None])
def test_anything_else_is_not_an_event_date(value: object) -> None:
    with pytest.raises(InvalidValue, match="is not a date: write 2023-03-06, 2023-03, 2023 or --03-06"):
        check_event_date(value)


def test_precision_follows_how_a_date_is_written() -> None:
    assert [date_precision_of(d) for d in ("2023-03-06", "--03-06", "2023-03", "2023")] == [
        "day", "day", "month", "year"]


def test_regions_are_codes_or_names_of_the_gazetteer() -> None:
    assert check_region("ru-kgd") == "RU-KGD"
    assert check_region("Kaliningrad Oblast") == "RU-KGD"
    assert check_region("Калининградская область") == "RU-KGD"
    with pytest.raises(InvalidValue, match="unknown region 'XX-YYY': not in the gazetteer"):
        check_region("XX-YYY")
    with pytest.raises(InvalidValue, match="did you mean .*'RU-KGD'"):
        check_region("RU-KGX")
    with pytest.raises(InvalidValue, match="unknown region 'Atlantis'"):
        check_region("Atlantis")


def test_event_filters_are_checked_together() -> None:
    ok = check_event_filters({"type": ["refusal"], "review_status": "new", "since": "2023-02", "region": "RU-MUR"})
    assert ok["review_status"] == ["new"] and ok["region"] == "RU-MUR"
    with pytest.raises(InvalidValue, match="unknown review status 'confirmd' \\(did you mean 'confirmed'\\?\\)"):
        check_event_filters({"review_status": ["confirmd"]})
    with pytest.raises(InvalidValue, match="until '2023-13' is not a date"):
        check_event_filters({"until": "2023-13"})
