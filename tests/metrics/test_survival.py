"""Kaplan-Meier time to remediation: hand-worked cases, then lifelines as the reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.survival import Z_95, SurvivalCurve, kaplan_meier

# Seven findings with ties. Life table (events before censorings at a shared time):
#   t=0: at risk 7, 0 events            S = 1
#   t=2: at risk 7, 2 events, 1 open    S = 1 * (7-2)/7        = 5/7
#   t=3: at risk 4, 1 event             S = 5/7 * 3/4          = 15/28
#   t=5: at risk 3, 1 event, 1 open     S = 15/28 * 2/3        = 5/14
#   t=8: at risk 1, 0 events, 1 open    S = 5/14
TIES_DAYS = [2, 2, 2, 3, 5, 5, 8]
TIES_OBSERVED = [True, True, False, True, True, False, False]


@pytest.fixture
def ties() -> SurvivalCurve:
    return kaplan_meier(TIES_DAYS, TIES_OBSERVED)


def test_tied_times_count_the_censored_finding_at_risk_for_the_events() -> None:
    curve = kaplan_meier(TIES_DAYS, TIES_OBSERVED)

    np.testing.assert_array_equal(curve.times, [0.0, 2.0, 3.0, 5.0, 8.0])
    np.testing.assert_array_equal(curve.at_risk, [7, 7, 4, 3, 1])
    np.testing.assert_array_equal(curve.events, [0, 2, 1, 1, 0])
    np.testing.assert_array_equal(curve.censored, [0, 1, 0, 1, 1])
    # Had the censoring at t=2 come first, S(2) would be 1 - 2/6 = 4/6 instead of 5/7.
    np.testing.assert_allclose(curve.survival, [1, 5 / 7, 15 / 28, 5 / 14, 5 / 14], rtol=1e-15)
    assert (curve.n, curve.n_events) == (7, 4)


def test_survival_at_is_a_right_continuous_step(ties: SurvivalCurve) -> None:
    assert ties.survival_at(-1.0) == 1.0
    assert ties.survival_at(1.999) == 1.0
    assert ties.survival_at(2.0) == pytest.approx(5 / 7, rel=1e-15)
    assert ties.survival_at(2.999) == pytest.approx(5 / 7, rel=1e-15)
    assert ties.survival_at(100.0) == pytest.approx(5 / 14, rel=1e-15)


def test_median_is_the_first_time_at_or_below_one_half(ties: SurvivalCurve) -> None:
    # S(3) = 15/28 = 0.536 is still above 0.5; S(5) = 5/14 = 0.357 is the first below.
    assert ties.percentile(0.5) == 5.0
    # 1 - p = 0.75: S(2) = 0.714 is the first at or below.
    assert ties.percentile(0.25) == 2.0
    # S never drops to 0.1: five of seven findings, but the last at risk is still open.
    assert ties.percentile(0.9) is None


def test_share_within_counts_findings_still_open_as_unknown_beyond_their_age(
    ties: SurvivalCurve,
) -> None:
    # Naively 3 of 7 findings are fixed by day 4 (3/7 = 0.429); Kaplan-Meier uses the
    # finding open at day 2 only up to day 2: 1 - S(4) = 1 - 15/28 = 13/28 = 0.464.
    assert ties.share_within(4.0) == pytest.approx(13 / 28, rel=1e-15)
    assert ties.share_within(1.0) == 0.0


def test_band_is_exponential_greenwood_around_each_estimate(ties: SurvivalCurve) -> None:
    # At t=2: Greenwood sum = d / (n (n - d)) = 2 / (7 * 5) = 2/35.
    # log(-log S) has standard error sqrt(2/35) / |log(5/7)|; the band is its normal interval
    # mapped back by S = exp(-exp(x)), the low end taking the plus sign.
    s, greenwood = 5 / 7, 2 / 35
    centre = math.log(-math.log(s))
    se = math.sqrt(greenwood) / abs(math.log(s))
    low, high = math.exp(-math.exp(centre + Z_95 * se)), math.exp(-math.exp(centre - Z_95 * se))

    assert (ties.ci_low[1], ties.ci_high[1]) == pytest.approx((low, high), rel=1e-12)
    # Before the first event S = 1 and the band is pinned to 1.
    assert (ties.ci_low[0], ties.ci_high[0]) == (1.0, 1.0)
    assert ties.ci_low[1] < ties.survival[1] < ties.ci_high[1]


def test_restricted_mean_is_the_area_under_the_steps(ties: SurvivalCurve) -> None:
    # S is 1 on [0,2), 5/7 on [2,3), 15/28 on [3,5), 5/14 on [5,8) and carried from 8 on.
    # Horizon 6:   2*1 + 1*5/7 + 2*15/28 + 1*5/14           = 2 + 60/28  = 29/7
    # Horizon 2.5: 2*1 + 0.5*5/7                              = 2 + 5/14   = 33/14
    # Horizon 10:  2*1 + 1*5/7 + 2*15/28 + 3*5/14 + 2*5/14    = 2 + 100/28 = 39/7
    assert ties.restricted_mean(6.0) == pytest.approx(29 / 7, rel=1e-15)
    assert ties.restricted_mean(2.5) == pytest.approx(33 / 14, rel=1e-15)
    assert ties.restricted_mean(10.0) == pytest.approx(39 / 7, rel=1e-15)
    assert ties.restricted_mean(0.0) == 0.0


def test_all_censored_findings_leave_the_curve_at_one() -> None:
    curve = kaplan_meier([1.0, 4.0, 4.0, 9.0], [False, False, False, False])

    np.testing.assert_array_equal(curve.survival, [1.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(curve.ci_low, [1.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(curve.ci_high, [1.0, 1.0, 1.0, 1.0])
    assert curve.percentile(0.5) is None
    assert curve.median_ci() == (None, None)
    assert curve.share_within(30.0) == 0.0
    # Nothing fixed: every finding stays open for the whole horizon.
    assert curve.restricted_mean(10.0) == 10.0
    assert curve.n_events == 0


@pytest.mark.parametrize("n", [10, 11, 20, 37])
def test_without_censoring_the_curve_is_the_empirical_distribution(n: int) -> None:
    rng = np.random.default_rng(n)
    days = rng.integers(0, 15, size=n).astype(float)

    curve = kaplan_meier(days, np.ones(n, dtype=bool))

    # S(t) is the share of durations beyond t; percentile(p) the smallest t with F(t) >= p,
    # which is numpy's inverted-CDF quantile (the lower median for even n).
    for t in curve.times:
        assert curve.survival_at(t) == pytest.approx(np.mean(days > t), abs=1e-12)
    for p in (0.1, 0.25, 0.5, 0.9, 1.0):
        assert curve.percentile(p) == np.quantile(days, p, method="inverted_cdf")
    # Once everyone is fixed, the area under S is the mean duration.
    assert curve.restricted_mean(days.max() + 1) == pytest.approx(days.mean(), rel=1e-12)


def test_median_lands_on_an_exact_half_despite_rounding() -> None:
    days = [0.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 8.0]

    curve = kaplan_meier(days, [True] * 8)

    # S(2) = 7/8 * 5/7 * 4/5 = 4/8 = 1/2 exactly: four of eight fixed by day 2, so the
    # median is day 2 (numpy agrees). lifelines 0.30 reports 3.0 here: it forms S as
    # exp(sum(log(...))), which lands a few ulps above 0.5.
    assert curve.percentile(0.5) == 2.0
    assert curve.percentile(0.5) == np.quantile(days, 0.5, method="inverted_cdf")


def test_a_single_remediated_finding_drops_the_curve_to_zero() -> None:
    curve = kaplan_meier([3.0], [True])

    np.testing.assert_array_equal(curve.times, [0.0, 3.0])
    np.testing.assert_array_equal(curve.survival, [1.0, 0.0])
    # At S = 0 the band is degenerate at 0.
    np.testing.assert_array_equal(curve.ci_low, [1.0, 0.0])
    np.testing.assert_array_equal(curve.ci_high, [1.0, 0.0])
    assert curve.percentile(0.5) == 3.0
    assert curve.percentile(0.9) == 3.0
    assert curve.median_ci() == (3.0, 3.0)
    assert curve.share_within(2.9) == 0.0
    assert curve.share_within(3.0) == 1.0
    assert curve.restricted_mean(10.0) == 3.0


def test_a_single_open_finding_gives_no_median() -> None:
    curve = kaplan_meier([3.0], [False])

    np.testing.assert_array_equal(curve.survival, [1.0, 1.0])
    assert curve.percentile(0.5) is None
    assert curve.share_within(5.0) == 0.0
    assert curve.restricted_mean(10.0) == 10.0


def test_a_finding_fixed_on_day_zero_lowers_the_curve_at_zero() -> None:
    curve = kaplan_meier([0.0, 0.0, 4.0, 6.0], [True, False, True, False])

    np.testing.assert_array_equal(curve.times, [0.0, 4.0, 6.0])
    np.testing.assert_array_equal(curve.at_risk, [4, 2, 1])
    # S(0) = 3/4; S(4) = 3/4 * 1/2 = 3/8.
    np.testing.assert_allclose(curve.survival, [3 / 4, 3 / 8, 3 / 8], rtol=1e-15)
    assert curve.percentile(0.25) == 0.0


def test_an_empty_population_has_no_estimates() -> None:
    curve = kaplan_meier([], [])

    assert (curve.n, curve.n_events) == (0, 0)
    assert curve.percentile(0.5) is None
    assert curve.median_ci() == (None, None)
    assert curve.share_within(30.0) is None
    assert curve.restricted_mean(30.0) is None
    assert math.isnan(curve.survival_at(1.0))
    frame = curve.to_frame()
    assert frame["time"].tolist() == [0.0]
    assert frame["at_risk"].tolist() == [0]


def test_to_frame_has_one_row_per_time_with_the_plotting_columns(ties: SurvivalCurve) -> None:
    frame = ties.to_frame()

    assert list(frame.columns) == [
        "time",
        "at_risk",
        "events",
        "censored",
        "survival",
        "ci_low",
        "ci_high",
    ]
    assert frame["time"].tolist() == [0.0, 2.0, 3.0, 5.0, 8.0]
    assert frame["events"].sum() + frame["censored"].sum() == 7


def test_flags_given_as_zero_and_one_or_a_series_mean_the_same(ties: SurvivalCurve) -> None:
    curve = kaplan_meier(pd.Series(TIES_DAYS), [1, 1, 0, 1, 1, 0, 0])

    np.testing.assert_array_equal(curve.survival, ties.survival)


@pytest.mark.parametrize(
    ("durations", "observed", "message"),
    [
        ([1.0, -2.0, 3.0], [True, True, True], r"durations\[1\] is -2\.0"),
        ([1.0, 2.0, float("nan")], [True, True, True], r"durations\[2\] is nan"),
        ([1.0, math.inf], [True, True], r"durations\[1\] is inf"),
        ([1.0, "3 days"], [True, True], r"durations\[1\] is '3 days'"),
        ([1.0, 2.0], [True, None], r"observed\[1\] is None"),
        ([1.0, 2.0], [True, 2], r"observed\[1\] is 2"),
        ([1.0, 2.0], [1.0, float("nan")], r"observed\[1\] is nan"),
        ([1.0, 2.0, 3.0], [True, True], r"3 durations and 2 flags"),
        ([[1.0, 2.0]], [[True, True]], r"one-dimensional"),
    ],
)
def test_bad_input_is_refused_naming_the_first_bad_element(
    durations: object, observed: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        kaplan_meier(durations, observed)


def test_summaries_refuse_nonsense_arguments(ties: SurvivalCurve) -> None:
    with pytest.raises(ValueError, match="p must be a share"):
        ties.percentile(1.5)
    with pytest.raises(ValueError, match="horizon must be"):
        ties.restricted_mean(-1.0)
    with pytest.raises(ValueError, match="horizon must be a finite"):
        ties.restricted_mean(math.inf)
    with pytest.raises(ValueError, match="days must be"):
        ties.share_within(float("nan"))


# --- lifelines as the reference -------------------------------------------------------------


def _random_findings(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Findings opened at random ages before the as-of, each fixed after a random delay.

    Durations are rounded to half days, so ties (and zeros) are common. The population size
    and the typical delay vary with the seed: small and large sets, curves that reach 0 and
    curves whose median or 90th percentile is never reached.
    """
    rng = np.random.default_rng(seed)
    n = (6, 15, 40, 120, 400)[seed % 5]
    age_at_as_of = rng.uniform(0.0, 90.0, size=n)
    delay = rng.exponential(rng.choice([3.0, 15.0, 60.0, 200.0]), size=n)
    days = np.round(np.minimum(delay, age_at_as_of) * 2) / 2
    return days, delay <= age_at_as_of


def _assert_same_crossing(
    ours: float | None, theirs: float, curve: SurvivalCurve, values: np.ndarray, level: float
) -> None:
    """Our first time at or below ``level`` is lifelines' (inf meaning never), or else it is
    a time where the value sits on ``level`` exactly and lifelines' rounding overshot it."""
    if ours != (None if math.isinf(theirs) else float(theirs)):
        assert ours is not None
        assert values[curve.times == ours][0] == pytest.approx(level, abs=1e-12)


# lifelines warns that its percentiles read the tabulated curve; for Kaplan-Meier that table
# is the exact step function.
@pytest.mark.filterwarnings("ignore:Approximating using")
@pytest.mark.parametrize("seed", range(20))
def test_curve_band_and_summaries_match_lifelines(seed: int) -> None:
    lifelines = pytest.importorskip("lifelines")
    from lifelines.utils import median_survival_times, restricted_mean_survival_time

    days, observed = _random_findings(seed)
    kmf = lifelines.KaplanMeierFitter().fit(days, observed)

    curve = kaplan_meier(days, observed)

    np.testing.assert_array_equal(curve.times, kmf.survival_function_.index.to_numpy())
    table = kmf.event_table
    np.testing.assert_array_equal(curve.at_risk, table["at_risk"].to_numpy())
    np.testing.assert_array_equal(curve.events, table["observed"].to_numpy())
    np.testing.assert_array_equal(curve.censored, table["censored"].to_numpy())
    np.testing.assert_allclose(
        curve.survival, kmf.survival_function_.iloc[:, 0], rtol=1e-12, atol=1e-15
    )
    band = kmf.confidence_interval_
    np.testing.assert_allclose(curve.ci_low, band.iloc[:, 0], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(curve.ci_high, band.iloc[:, 1], rtol=1e-10, atol=1e-15)

    _assert_same_crossing(
        curve.percentile(0.5), kmf.median_survival_time_, curve, curve.survival, 0.5
    )
    # lifelines' percentile takes the survival level: 90% remediated = 10% still open.
    _assert_same_crossing(curve.percentile(0.9), kmf.percentile(0.1), curve, curve.survival, 0.1)
    median_band = median_survival_times(band)
    low, high = curve.median_ci()
    _assert_same_crossing(low, median_band.iloc[0, 0], curve, curve.ci_low, 0.5)
    _assert_same_crossing(high, median_band.iloc[0, 1], curve, curve.ci_high, 0.5)
    for horizon in (0.0, 7.0, 30.0, 90.0, float(days.max()) + 10.0):
        expected = restricted_mean_survival_time(kmf, t=horizon)
        assert curve.restricted_mean(horizon) == pytest.approx(expected, rel=1e-12, abs=1e-12)
