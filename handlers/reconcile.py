"""Waits started → deadlines set; DeadlineDue → AWS asked the truth; MigrationCancelled during
the build or the deployment → the build stopped and the service deleted."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import domain_event
from bot.events.models import DeadlineDue, MigrationCancelled
from bot.observability import correlate, logger
from bot.services import reconcile


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Arm a deadline, reconcile one that passed, or stop what a cancel left running."""
    detail = domain_event(event)
    correlate(detail.migration_id)
    core = bootstrap.core()
    if isinstance(detail, DeadlineDue):
        reconcile.on_deadline(
            detail,
            store=core.store,
            aws=bootstrap.reconcile_aws(),
            certificate_aws=bootstrap.certificate_aws(),
            publisher=core.publisher,
            scheduler=bootstrap.scheduler(),
            clock=core.clock,
        )
        return
    if isinstance(detail, MigrationCancelled):
        reconcile.on_cancelled(detail, store=core.store, aws=bootstrap.reconcile_aws())
    reconcile.arm(detail, store=core.store, scheduler=bootstrap.scheduler(), clock=core.clock)
