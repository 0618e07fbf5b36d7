"""CloudWatch Alarm State Change (default bus) of a cutover alarm → RollbackRequested."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import detail_as
from bot.events.aws import CloudWatchAlarmStateChange
from bot.observability import logger
from bot.services import alarms


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """A breach of one of a migration's alarms puts all its traffic back on EC2."""
    detail = detail_as(event, CloudWatchAlarmStateChange)
    logger.append_keys(alarm_name=detail.alarm_name, alarm_state=detail.state.value)
    core = bootstrap.core()
    alarms.on_alarm(
        detail,
        store=core.store,
        publisher=core.publisher,
        clock=core.clock,
        sides=bootstrap.side_by_side_aws(),
    )
