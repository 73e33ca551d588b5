"""What every adapter shares: the context it works in and the rows it hands back.

An adapter module (``analytics/ingest/<source>.py``) defines:

- ``KIND``: its ``--kind`` name;
- ``read(text, ctx)``: the records of the file, as :class:`~analytics.ingest.readers.RawRecord`;
- ``transform(record, ctx)``: the canonical rows of one record, as :class:`Rows`, raising
  :class:`~analytics.errors.RecordRejected` for a record it cannot use.

Loading is shared (:mod:`analytics.ingest.load`), one transaction a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from analytics.redaction import Fingerprinter

Row = dict[str, object]


@dataclass
class Context:
    """What an adapter knows about the file it is reading.

    Attributes
    ----------
    path
        The source file.
    kind
        The adapter's kind (``None`` until detected).
    observed_at
        The snapshot time of the file: ``--as-of`` when given, otherwise the file's
        modification time; an adapter replaces it when the file states its own (the
        credential report's ``GeneratedTime``).
    fingerprinter
        Turns secret values into keyed fingerprints.
    """

    path: Path
    kind: str | None
    observed_at: datetime | None
    fingerprinter: Fingerprinter
    warnings: list[str] = field(default_factory=list)


@dataclass
class Rows:
    """The canonical rows made from one record, by table.

    The first table added is the record's *primary* row: the one whose key decides whether
    the record is a duplicate. Other rows (the grants of a user, the keys of a credential
    report row) follow it.
    """

    tables: dict[str, list[Row]] = field(default_factory=dict)

    def add(self, table: str, row: Row) -> Rows:
        """Append ``row`` to ``table`` and return ``self``."""
        self.tables.setdefault(table, []).append(row)
        return self

    @property
    def primary(self) -> tuple[str, Row] | None:
        """The record's primary table and row, or ``None`` for a record with no rows."""
        for table, rows in self.tables.items():
            if rows:
                return table, rows[0]
        return None
