"""The certificate for the app's name, behind the ``CertificateAws`` port.

The Express load balancer serves HTTPS only, so it needs a certificate for the app's own name
before any user is sent there. The legacy HTTPS listener's is reused when ACM issued or
imported it, it is ISSUED and it covers the name (``DescribeListenerCertificates``, then ACM's
``DescribeCertificate``). Otherwise the bot requests one from ACM with DNS validation
(``RequestCertificate``, tagged with the migration so ACM's events can be traced back to it),
reads the CNAME ACM wants from ``DescribeCertificate``'s ``DomainValidationOptions`` and writes
it in the app's own hosted zone (ACM User Guide, "DNS validation"). ACM then issues the
certificate on its own and says so with an ``ACM Certificate Available`` event (ACM User Guide,
"Amazon EventBridge support for ACM"); nothing here polls for it.

An IAM server certificate on the legacy listener is not reused: ACM cannot describe it, and
an ACM certificate renews itself where an IAM one does not (ACM User Guide, "Managed
certificate renewal").
"""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.aws_errors import translate_refusals

#: The tag that ties a requested certificate to its migration.
MIGRATION_TAG = "migrate-bot:migration"


class CertificateError(RuntimeError):
    """The certificate cannot be found or requested; the message says why."""


def covers(domain: str, name: str) -> bool:
    """Does a certificate for ``domain`` (a name or ``*.`` one-label wildcard) cover ``name``."""
    domain, name = domain.lower().rstrip("."), name.lower().rstrip(".")
    if domain.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == domain[2:]
    return domain == name


def idempotency_token(migration_id: str) -> str:
    """RequestCertificate's token for a migration: a retry within an hour gets the same
    certificate (ACM API Reference: ``IdempotencyToken``, ``\\w+``, at most 32 characters)."""
    return hashlib.sha256(migration_id.encode()).hexdigest()[:32]


class AwsCertificates:
    """ELBv2, ACM and Route 53 calls for the certificate of the app's name."""

    def __init__(self, elbv2: Any, acm: Any, route53: Any) -> None:
        self._elbv2 = elbv2
        self._acm = acm
        self._route53 = route53

    @translate_refusals
    def listener_scheme(self, listener_arn: str) -> str:
        """``https`` or ``http``: how users reach the listener."""
        return listener_scheme(self._elbv2, listener_arn)

    @translate_refusals
    def certificate_for(self, listener_arn: str, name: str) -> tuple[str | None, str]:
        """An issued ACM certificate on ``listener_arn`` that covers ``name`` (or None), and
        what the listener's certificates are when none is reusable, in a few words."""
        seen: list[str] = []
        for arn in listener_certificates(self._elbv2, listener_arn):
            short = arn.rsplit("/", 1)[-1]
            if ":acm:" not in arn:
                seen.append(f"IAM server certificate {short} (not reused: ACM cannot renew it)")
                continue
            described = self._acm.describe_certificate(CertificateArn=arn)["Certificate"]
            names = list(
                dict.fromkeys(
                    [described.get("DomainName", ""), *described.get("SubjectAlternativeNames", [])]
                )
            )
            status = described.get("Status")
            if status != "ISSUED":
                seen.append(f"ACM certificate {short} is {status}")
            elif any(covers(domain, name) for domain in names):
                return arn, ""
            else:
                seen.append(f"ACM certificate {short} covers {', '.join(names[:3])}, not {name}")
        return None, "; ".join(seen) or "the legacy HTTPS listener has no certificate"

    @translate_refusals
    def request_certificate(self, name: str, migration_id: str) -> str:
        """Request a DNS-validated certificate for ``name``, tagged with the migration."""
        return str(
            self._acm.request_certificate(
                DomainName=name,
                ValidationMethod="DNS",
                IdempotencyToken=idempotency_token(migration_id),
                Tags=[{"Key": MIGRATION_TAG, "Value": migration_id}],
            )["CertificateArn"]
        )

    @translate_refusals
    def validation_record(self, certificate_arn: str) -> tuple[str, str] | None:
        """The CNAME (name, value) ACM wants for the certificate; None until ACM has made it
        ("it can take several seconds for the ResourceRecord to be populated", ACM API
        Reference, DescribeCertificate's ``DomainValidation``)."""
        described = self._acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]
        for option in described.get("DomainValidationOptions", []):
            record = option.get("ResourceRecord")
            if record and record.get("Type") == "CNAME":
                return str(record["Name"]), str(record["Value"])
        return None

    @translate_refusals
    def write_validation_record(self, hosted_zone_id: str, name: str, value: str) -> None:
        """UPSERT the validation CNAME in the app's zone (kept: ACM renews with it)."""
        self._route53.change_resource_record_sets(
            HostedZoneId=hosted_zone_id,
            ChangeBatch={
                "Comment": "migrate-bot: ACM DNS validation",
                "Changes": [
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {
                            "Name": name,
                            "Type": "CNAME",
                            "TTL": 300,
                            "ResourceRecords": [{"Value": value}],
                        },
                    }
                ],
            },
        )

    @translate_refusals
    def migration_of(self, certificate_arn: str) -> str | None:
        """The migration a certificate was requested for (its tag); None if not the bot's."""
        try:
            tags = self._acm.list_tags_for_certificate(CertificateArn=certificate_arn)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        return next(
            (t.get("Value") for t in tags.get("Tags", []) if t.get("Key") == MIGRATION_TAG), None
        )

    @translate_refusals
    def certificate_status(self, certificate_arn: str) -> str:
        """ACM's status of the certificate (``PENDING_VALIDATION``, ``ISSUED``, …)."""
        described = self._acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]
        return str(described.get("Status", ""))


def listener_scheme(elbv2: Any, listener_arn: str) -> str:
    """``https`` or ``http``: the protocol of a listener users reach."""
    (listener,) = elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"]
    return "https" if listener.get("Protocol") == "HTTPS" else "http"


def listener_certificates(elbv2: Any, listener_arn: str) -> list[str]:
    """Every certificate ARN on a listener (the default and the added ones), all pages."""
    arns: list[str] = []
    request: dict[str, Any] = {"ListenerArn": listener_arn}
    while True:
        try:
            page = elbv2.describe_listener_certificates(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ListenerNotFound":
                raise CertificateError(f"the listener {listener_arn} no longer exists") from error
            raise
        for item in page.get("Certificates", []):
            if item["CertificateArn"] not in arns:
                arns.append(item["CertificateArn"])
        if not page.get("NextMarker"):
            return arns
        request["Marker"] = page["NextMarker"]
