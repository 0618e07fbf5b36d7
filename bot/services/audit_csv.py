"""The audit trail as a CSV file (pure): one row per record, oldest first, times in UTC.

Written with the standard library's ``csv`` module (RFC 4180 quoting). A cell that a
spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) is prefixed with ``'``, as OWASP's "CSV Injection" page advises, because the
trail holds text people typed (targets, policy values).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from bot.ports import AuditRecord

COLUMNS = ("time_utc", "migration_id", "actor", "action", "decision")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA) else text


def audit_csv(records: Iterable[AuditRecord]) -> str:
    """The records as CSV text with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow(
            [
                f"{record.at:%Y-%m-%dT%H:%M:%SZ}",
                _cell(record.migration_id),
                _cell(record.actor),
                _cell(record.action),
                _cell(record.decision),
            ]
        )
    return out.getvalue()
