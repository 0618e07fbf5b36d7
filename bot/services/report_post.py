"""The notifier's part of a health report: post the stored report, then its chart, once each.

The report consumer compiles and stores the report and publishes ``HealthReportReady``; the
notifier, the only Slack writer, posts it. The message and the chart are claimed apart
(``reply:<key>`` and ``reply:<key>:chart``), each released when its Slack call fails, so a
retry sends what is missing and never anything twice.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.events.models import HealthReportReady
from bot.observability import logger
from bot.ports import ReportStore, SlackPort, Store


def post_report(
    event: HealthReportReady, *, store: Store, reports: ReportStore, slack: SlackPort
) -> bool:
    """Post the report and its chart into its channel; False when it is not stored (any
    more: reports are kept seven days)."""
    report = reports.get_report(event.report_key)
    if report is None:
        logger.warning("no stored report under its key", extra={"report_key": event.report_key})
        return False
    _once(store, f"reply:{event.report_key}", lambda: slack.post_report(report))
    _once(store, f"reply:{event.report_key}:chart", lambda: slack.upload_chart(report))
    return True


def _once(store: Store, key: str, send: Callable[[], object]) -> None:
    """``send`` unless ``key`` is claimed already; a failed send releases it for the retry."""
    if not store.claim(key):
        return
    try:
        send()
    except Exception:
        store.release(key)
        raise
