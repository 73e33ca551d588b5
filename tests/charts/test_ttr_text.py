"""The words and numbers of the time-to-remediate page, for values the data may not give."""

from __future__ import annotations

import math

from analytics.charts.ttr.text import NOT_REACHED, days_text, median_text, share_text


def test_days_are_shown_to_one_decimal_and_a_missing_value_by_its_fallback():
    assert days_text(12.345) == "12.3"
    assert days_text(None) == NOT_REACHED
    assert days_text(math.nan, "no data") == "no data"


def test_a_median_carries_its_interval_unless_the_interval_is_unknown():
    assert median_text(10.0, 7.25, 14.0) == "10.0 (95% CI 7.2 to 14.0)"
    assert median_text(None, None, None, "no data") == "no data"
    assert median_text(None, 30.0, None) == f"{NOT_REACHED} (95% CI 30.0 to {NOT_REACHED})"


def test_shares_are_whole_percentages_and_blank_when_unknown():
    assert share_text(0.426) == "43%"
    assert share_text(None) == ""
