"""ACM Certificate Available (default bus) → CertificateReady for the migration that asked."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import detail_as, envelope
from bot.events.aws import AcmCertificateAvailable
from bot.observability import logger
from bot.services import certificates


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """A certificate ACM made available: if the bot requested it, its migration goes on."""
    detail = detail_as(event, AcmCertificateAvailable)
    core = bootstrap.core()
    for arn in envelope(event).resources:
        logger.append_keys(certificate_arn=arn, action=detail.action)
        certificates.issued(
            arn,
            store=core.store,
            aws=bootstrap.certificate_aws(),
            publisher=core.publisher,
            clock=core.clock,
        )
