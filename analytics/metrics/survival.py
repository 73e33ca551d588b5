"""Kaplan-Meier estimates of time to an event, for "how long do leaked secrets stay open".

Each subject (a finding) contributes a duration in days and a flag: ``observed=True`` when
the event (remediation) happened at that duration, ``False`` when the finding was still open
at the as-of date, so all we know is that remediation takes *longer* than that duration
(right-censoring). Dropping the open findings, or counting them as remediated at the as-of,
would bias every number towards "fast"; the Kaplan-Meier estimator uses them exactly as far
as they were followed.

Conventions, chosen to agree with lifelines' ``KaplanMeierFitter`` (the reference the tests
compare against):

* The curve starts at time 0.0 with every subject at risk; a subject with duration 0 that is
  observed lowers the curve at time 0 itself.
* When events and censorings share a time, the events happen first: a subject censored at
  ``t`` is still counted at risk for the events at ``t``.
* The pointwise 95% band is the exponential Greenwood ("log(-log)") interval.

Scope: the estimate assumes censoring is unrelated to how fast a finding would be fixed
(e.g. the as-of date, not triage, decides what is still open). Beyond the longest duration
the curve is not identified; it is carried flat from its last value, as lifelines does.
"""

from __future__ import annotations

import logging
import math
import numbers
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

log = logging.getLogger(__name__)

Z_95 = 1.959963984540054
"""Two-sided 95% quantile of the standard normal distribution."""

# S(t) is a product of fractions; when it equals a threshold such as 0.5 in exact arithmetic,
# rounding can leave it a few ulps above. Comparisons against a threshold allow this much.
_THRESHOLD_SLACK = 1e-12


@dataclass(frozen=True, eq=False)
class SurvivalCurve:
    """A Kaplan-Meier curve with its life table and pointwise confidence band.

    All arrays have one entry per distinct time, ascending, the first being 0.0. The curve
    is a right-continuous step function: ``survival[i]`` holds on ``[times[i], times[i+1])``.

    Attributes
    ----------
    times
        Distinct durations in days, with 0.0 prepended when no subject has duration 0.
    at_risk
        Subjects still open just before each time (including those censored at it).
    events
        Subjects remediated at each time.
    censored
        Subjects still open at the as-of whose follow-up ends at each time.
    survival
        Estimated share still open just after each time, S(t).
    ci_low, ci_high
        Pointwise 95% exponential Greenwood band for S(t). Where S(t) = 1 (no event yet)
        both are 1, and where S(t) = 0 both are 0: the interval is degenerate there.
    n
        Number of subjects.
    n_events
        Number of observed events (remediations).

    Notes
    -----
    With no subjects (``n == 0``) the table has a single row at time 0 with nobody at risk,
    ``survival``, ``ci_low`` and ``ci_high`` are NaN, and every summary returns None, so a
    metric over an empty population reports null rather than a number.
    """

    times: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    survival: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n: int
    n_events: int

    def survival_at(self, t: float) -> float:
        """Estimated share still open at ``t`` days (NaN when there are no subjects).

        Right-continuous: events at exactly ``t`` are already counted. Before time 0 the
        share is 1.0; past the last time the last value is carried.
        """
        t = _check_days(t, "t")
        if t < 0:
            return 1.0
        return float(self.survival[np.searchsorted(self.times, t, side="right") - 1])

    def percentile(self, p: float) -> float | None:
        """Days by which a share ``p`` of subjects is estimated to be remediated.

        The smallest time t with S(t) <= 1 - p, so ``percentile(0.5)`` is the median and
        ``percentile(0.9)`` the 90th percentile. None when the curve never gets that low
        (too many findings still open) or when there are no subjects.

        Note lifelines' ``KaplanMeierFitter.percentile(q)`` takes the *survival* level:
        our ``percentile(p)`` equals its ``percentile(1 - p)``, except where S(t) equals
        1 - p exactly (four of eight fixed by day 2): the comparison here allows for
        rounding, while lifelines' float can land just above and report the next time.
        """
        if not 0.0 <= p <= 1.0 or math.isnan(p):
            raise ValueError(f"p must be a share between 0 and 1, got {p!r}")
        return _first_time_at_or_below(self.times, self.survival, 1.0 - p)

    def median_ci(self) -> tuple[float | None, float | None]:
        """95% confidence interval of the median time to remediation, in days.

        The low end is the first time the *lower* band ``ci_low`` drops to 0.5 or below,
        the high end the first time the *upper* band ``ci_high`` does (the band's crossings
        of 0.5, as lifelines' ``median_survival_times(confidence_interval_)`` computes).
        Either end is None when its band never reaches 0.5: a None high end means the data
        cannot rule out a median beyond the longest follow-up.
        """
        return (
            _first_time_at_or_below(self.times, self.ci_low, 0.5),
            _first_time_at_or_below(self.times, self.ci_high, 0.5),
        )

    def share_within(self, days: float) -> float | None:
        """Estimated share of subjects remediated within ``days`` days, 1 - S(days).

        Unlike "remediated so far / all findings", this counts a finding opened recently
        and still open as unknown beyond its age, not as a failure. None with no subjects.
        """
        days = _check_days(days, "days")
        if self.n == 0:
            return None
        return 1.0 - self.survival_at(days)

    def restricted_mean(self, horizon: float) -> float | None:
        """Restricted mean time to remediation (RMST), in days, up to ``horizon`` days.

        The area under S(t) from 0 to ``horizon``: the mean number of days, of the first
        ``horizon``, that a finding stays open. It exists even when the median is not
        reached, but depends on the horizon, which should therefore be reported with it.
        Past the last time the curve is carried flat. None with no subjects.
        """
        horizon = _check_days(horizon, "horizon", horizon=True)
        if self.n == 0:
            return None
        ends = np.minimum(np.append(self.times[1:], np.inf), horizon)
        widths = np.clip(ends - self.times, 0.0, None)
        return float(np.dot(widths, self.survival))

    def to_frame(self) -> pd.DataFrame:
        """The life table, one row per time, for plotting as a step chart.

        Columns: time, at_risk, events, censored, survival, ci_low, ci_high.
        """
        return pd.DataFrame(
            {
                "time": self.times,
                "at_risk": self.at_risk,
                "events": self.events,
                "censored": self.censored,
                "survival": self.survival,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
            }
        )


def kaplan_meier(durations: npt.ArrayLike, observed: npt.ArrayLike) -> SurvivalCurve:
    """Fit a Kaplan-Meier curve to durations with right-censoring.

    Parameters
    ----------
    durations
        Days from detection to remediation (observed) or to the as-of date (censored), one
        per subject; finite and >= 0. Any 1-D array-like (list, numpy array, pandas Series).
    observed
        One flag per subject: True (or 1) when remediated at its duration, False (or 0)
        when still open at the as-of date.

    Returns
    -------
    SurvivalCurve
        The estimate, its life table and its pointwise 95% band.

    Raises
    ------
    ValueError
        When the lengths differ, or an element is not a finite number >= 0 (durations) or
        not a boolean (observed); the message names the first bad index and its value.
    """
    days_raw = _one_dimensional(durations, "durations")
    flags_raw = _one_dimensional(observed, "observed")
    if len(days_raw) != len(flags_raw):
        raise ValueError(
            f"durations and observed must have one entry per subject; got {len(days_raw)} "
            f"durations and {len(flags_raw)} flags"
        )
    days = _as_days(days_raw)
    flags = _as_flags(flags_raw)

    times = np.unique(np.concatenate(([0.0], days)))
    slot = np.searchsorted(times, days)
    removed = np.bincount(slot, minlength=len(times))
    events = np.bincount(slot[flags], minlength=len(times))
    censored = removed - events
    at_risk = len(days) - np.concatenate(([0], np.cumsum(removed)[:-1]))

    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod((at_risk - events) / at_risk)
        # Greenwood's sum; a time where everyone at risk has the event adds nothing (S is 0
        # from then on and its band is pinned to 0 below), as in lifelines.
        terms = np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0)
        ci_low, ci_high = _exponential_greenwood(survival, np.cumsum(terms))

    log.debug(
        "kaplan-meier: %d subjects, %d events, %d censored, %d distinct times",
        len(days),
        int(flags.sum()),
        int(censored.sum()),
        len(times),
    )
    arrays = [times, at_risk, events, censored, survival, ci_low, ci_high]
    for array in arrays:
        array.setflags(write=False)
    return SurvivalCurve(*arrays, n=len(days), n_events=int(flags.sum()))


def _exponential_greenwood(
    survival: np.ndarray, greenwood: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise 95% band for S(t) from a normal interval on log(-log S(t)).

    With L = log S and standard error se = sqrt(greenwood) / |L| of log(-L), the band is
    S ** exp(+Z se) (low) to S ** exp(-Z se) (high); it stays inside [0, 1]. Where S = 1
    the standard error is 0/0 and the band is set to 1; where S = 0 it is 0.
    """
    log_s = np.log(survival)
    se = np.sqrt(greenwood) / np.abs(log_s)
    low = np.power(survival, np.exp(Z_95 * se))
    high = np.power(survival, np.exp(-Z_95 * se))
    low[survival == 1.0] = high[survival == 1.0] = 1.0
    low[survival == 0.0] = high[survival == 0.0] = 0.0
    return low, high


def _first_time_at_or_below(times: np.ndarray, values: np.ndarray, level: float) -> float | None:
    """The first time whose value is <= ``level`` (up to rounding), or None."""
    hits = np.flatnonzero(values <= level + _THRESHOLD_SLACK)
    return float(times[hits[0]]) if hits.size else None


def _check_days(value: float, name: str, *, horizon: bool = False) -> float:
    """``value`` as a float; NaN is refused, and for a horizon anything but finite and >= 0."""
    value = float(value)
    if horizon and not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number of days >= 0, got {value!r}")
    if math.isnan(value):
        raise ValueError(f"{name} must be a number of days, got {value!r}")
    return value


def _one_dimensional(values: npt.ArrayLike, name: str) -> np.ndarray:
    """``values`` as a 1-D numpy array, refusing scalars and tables."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        # Keep mixed input as it was given (numpy would turn [1.0, "x"] into two strings).
        array = np.asarray(values, dtype=object)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional, one entry per subject; got shape {array.shape}"
        )
    return array


def _as_days(raw: np.ndarray) -> np.ndarray:
    """Durations as floats; the first element that is not a finite number >= 0 is reported."""
    if raw.dtype.kind not in "iuf":
        for i, item in enumerate(raw):
            if not isinstance(item, numbers.Real) or isinstance(item, bool | np.bool_):
                raise _bad_duration(i, item)
    days = raw.astype(float)
    bad = np.flatnonzero(~np.isfinite(days) | (days < 0))
    if bad.size:
        raise _bad_duration(int(bad[0]), raw[bad[0]])
    return days


def _bad_duration(index: int, value: object) -> ValueError:
    return ValueError(
        f"durations[{index}] is {_plain(value)!r}; expected a finite number of days >= 0. "
        "Fix or drop that subject (an open finding's duration runs to the as-of date)."
    )


def _as_flags(raw: np.ndarray) -> np.ndarray:
    """Flags as booleans; the first element other than True/False/1/0 is reported."""
    if raw.dtype.kind == "b":
        return raw.astype(bool)
    for i, item in enumerate(raw):
        is_flag = isinstance(item, bool | np.bool_) or (
            isinstance(item, numbers.Real) and item in (0, 1)
        )
        if not is_flag:
            raise ValueError(
                f"observed[{i}] is {_plain(item)!r}; expected True (remediated) or False "
                "(still open at the as-of date)."
            )
    return raw.astype(bool)


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds, so messages read ``-2.0``, not numpy's repr."""
    return value.item() if isinstance(value, np.generic) else value
