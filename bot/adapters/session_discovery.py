"""Discovery with the caller's own AWS credentials, for ``migrate-bot plan`` on a laptop.

The clients come from a ``boto3.Session`` (the standard credential chain: a named profile,
environment variables, SSO, an instance or container role) and use the standard retry mode,
as the deployed bot's do. ``AWS_ENDPOINT_URL``, when set, is honoured by boto3 itself.
"""

from __future__ import annotations

from bot.adapters.aws_discovery import AwsDiscovery

_SERVICES = ("ec2", "elbv2", "route53", "iam")


def session_discovery(
    profile: str | None = None,
    region: str | None = None,
    hosted_zone_id: str | None = None,
) -> AwsDiscovery:
    """``AwsDiscovery`` on clients of a session for ``profile`` and ``region``.

    Raises botocore's ``ProfileNotFound`` for an unknown profile and ``NoRegionError`` when
    neither ``region`` nor the profile or environment names one; missing credentials show up
    at the first call as ``NoCredentialsError``.
    """
    import boto3
    from botocore.config import Config

    session = boto3.Session(profile_name=profile, region_name=region)
    config = Config(
        retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20
    )
    ec2, elbv2, route53, iam = (session.client(name, config=config) for name in _SERVICES)  # type: ignore[call-overload]
    return AwsDiscovery(ec2, elbv2, route53, hosted_zone_id, iam=iam)
