"""ACM's DNS validation in the sandbox: a requested certificate is issued only once its
validation record can be found in DNS, and ACM then says so on the default bus.

moto issues every requested certificate 60 seconds after the request whatever DNS holds
(``MOTO_ACM_VALIDATION_WAIT``), and emits no event. ACM instead "checks for the CNAME record"
it asked for, and the certificate stays ``PENDING_VALIDATION`` until it finds it (ACM User
Guide, "DNS validation"); once issued it sends "ACM Certificate Available" with ``Action``
``ISSUANCE`` (ACM User Guide, "Amazon EventBridge support for ACM"). Here a checker looks,
every ``CHECK_SECONDS`` simulated seconds, for each pending DNS-validated certificate's
``ResourceRecord`` (as DescribeCertificate gives it) in the public hosted zone that holds the
name (moto's Route 53: what the sandbox's resolver answers from). How often ACM really looks
is not documented ("can take up to 30 minutes" is the only figure it gives for propagation);
the README's known limits say so.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from moto import settings
from moto.acm.models import acm_backends

from sandbox.aws_bus import Emit
from sandbox.aws_events import envelope

#: Simulated seconds between two looks for the validation records.
CHECK_SECONDS = 60.0
#: moto must never issue a pending certificate on its own clock.
NEVER = 10**9


class AcmValidator:
    """Issues pending DNS-validated certificates whose records are in Route 53."""

    def __init__(
        self, clients: Any, emit: Emit, account: str, region: str, time_scale: float
    ) -> None:
        settings.ACM_VALIDATION_WAIT = NEVER
        self._acm = clients("acm")
        self._route53 = clients("route53")
        self._emit = emit
        self._account, self._region = account, region
        self._interval = max(CHECK_SECONDS * time_scale, 0.05)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="acm-validation", daemon=True)

    def start(self) -> AcmValidator:
        """Start looking."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop looking."""
        self._stopped.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self.check_once()

    def check_once(self) -> list[str]:
        """One look: issue every pending certificate whose records are all found; their ARNs.

        The pending certificates are read from moto's backend (no API call while there are
        none: the look runs in the background of every run)."""
        issued: list[str] = []
        backend = acm_backends[self._account][self._region]
        pending = [
            c.arn
            for c in list(backend._certificates.values())
            if c.type == "AMAZON_ISSUED" and c.status == "PENDING_VALIDATION"
        ]
        for arn in pending:
            detail = self._acm.describe_certificate(CertificateArn=arn)["Certificate"]
            options = [
                o for o in detail.get("DomainValidationOptions", []) if o.get("ResourceRecord")
            ]
            if options and all(self._published(o["ResourceRecord"]) for o in options):
                self._issue(arn, detail)
                issued.append(arn)
        return issued

    def _published(self, record: dict[str, str]) -> bool:
        """Whether public DNS answers the record: its name in the closest public zone, CNAME,
        with ACM's value."""
        name = record["Name"].lower().rstrip(".") + "."
        zone = self._zone_for(name)
        if zone is None:
            return False
        found = self._route53.list_resource_record_sets(
            HostedZoneId=zone, StartRecordName=name, StartRecordType="CNAME", MaxItems="1"
        )["ResourceRecordSets"]
        for item in found:
            if item["Name"].lower() == name and item["Type"] == "CNAME":
                values = {v["Value"].lower().rstrip(".") for v in item.get("ResourceRecords", [])}
                return record["Value"].lower().rstrip(".") in values
        return False

    def _zone_for(self, name: str) -> str | None:
        best: tuple[int, str] | None = None
        for zone in self._route53.list_hosted_zones()["HostedZones"]:
            if zone.get("Config", {}).get("PrivateZone"):
                continue  # ACM looks the record up in public DNS
            origin = zone["Name"].lower()
            if (name == origin or name.endswith("." + origin)) and (
                best is None or len(origin) > best[0]
            ):
                best = (len(origin), zone["Id"].removeprefix("/hostedzone/"))
        return best[1] if best else None

    def _issue(self, arn: str, detail: dict[str, Any]) -> None:
        certificate = acm_backends[self._account][self._region].get_certificate(arn)
        certificate.status = "ISSUED"
        now = datetime.now(UTC)
        self._emit(
            envelope(
                detail_type="ACM Certificate Available",
                source="aws.acm",
                account=self._account,
                region=self._region,
                resources=[arn],
                detail={
                    "Action": "ISSUANCE",
                    "CertificateType": "AMAZON_ISSUED",
                    "CommonName": detail.get("DomainName"),
                    "DomainValidationMethod": "DNS",
                    "CertificateCreatedDate": _iso(detail.get("CreatedAt"), now),
                    "CertificateExpirationDate": _iso(detail.get("NotAfter"), now),
                    "InUse": bool(detail.get("InUseBy")),
                    "Exported": False,
                },
            )
        )


def _iso(value: Any, default: datetime) -> str:
    at = value if isinstance(value, datetime) else default
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
