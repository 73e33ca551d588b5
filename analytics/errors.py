"""The toolkit's exceptions: a small hierarchy over the standard ones.

Every message is written for the person running the tool: it names the file, the record,
the field, what was expected, what was found, and what to do next.
"""

from __future__ import annotations


class NhiRiskError(Exception):
    """Base of every error the toolkit raises on purpose."""


class InputError(NhiRiskError, ValueError):
    """A source file cannot be read as a whole (unknown kind, bad header, not the format)."""


class UsageError(NhiRiskError, ValueError):
    """An argument names something that does not exist (a notebook, a run id)."""


class RecordRejected(NhiRiskError, ValueError):
    """One record of a file cannot be loaded; the rest of the file still can.

    Parameters
    ----------
    field
        The field at fault, dotted for nested JSON (``userIdentity.arn``), or ``""`` when
        the record as a whole is unreadable.
    reason
        A sentence that says what was expected and what was found.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


class WarehouseLockedError(NhiRiskError, RuntimeError):
    """Another process holds the warehouse file open for writing."""


class WarehouseWriteError(NhiRiskError, OSError):
    """The warehouse could not be written (disk full, file size limit, read-only disk); the
    transaction in progress was rolled back, so the file holds its last complete state."""


class WarehouseMissingError(NhiRiskError, FileNotFoundError):
    """A reader asked for a warehouse file that does not exist yet."""


class WarehouseOutdatedError(NhiRiskError, RuntimeError):
    """A reader opened a warehouse made by an earlier release, which lacks tables or columns
    of this one; opening it once for writing upgrades it."""


class ReportError(NhiRiskError, RuntimeError):
    """One or more notebooks of a report run failed."""
