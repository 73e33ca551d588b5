"""Figures and tables for the time-to-remediate page (``notebooks/10_time_to_remediate``).

The builders take what :mod:`analytics.metrics.ttr` returns and draw it; they compute no
metric. Each output carries the caption of :func:`analytics.charts.caption`. When there is
nothing to draw (no leaked secret in the population), a builder returns a captioned sentence
instead of an empty chart, so a notebook can call it unconditionally.

Shares are 0..1 and shown as percentages; times are days since first detection. A value
the data cannot give (a median when fewer than half were remediated) reads "not reached".
"""

from analytics.charts.ttr.figures import cohort_figure, sla_figure, survival_figure
from analytics.charts.ttr.tables import check_table, group_table, headline_table
from analytics.charts.ttr.text import NOT_REACHED, about, detection_period

__all__ = [
    "NOT_REACHED",
    "about",
    "check_table",
    "cohort_figure",
    "detection_period",
    "group_table",
    "headline_table",
    "sla_figure",
    "survival_figure",
]
