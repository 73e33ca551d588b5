"""nhi-risk: risk analytics for non-human identities.

Source files go through ``analytics.ingest`` into the DuckDB warehouse
(``analytics.warehouse``); ``analytics.metrics`` computes findings and rates from it;
``analytics.report`` runs the notebooks and renders HTML. ``analytics.cli`` is the
command-line face over all three.
"""

__version__ = "0.1.0"
