"""The scale benchmark: synthetic CloudTrail at millions of events, and the harness that times
``nhi-risk ingest`` against bare DuckDB and a pandas baseline (``make bench``)."""
