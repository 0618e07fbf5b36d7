"""Route 53 weighted records behind the ``TrafficAws`` port."""

from __future__ import annotations

from typing import Any

from bot.adapters.aws_errors import translate_refusals
from bot.domain.facts import DnsRecordFacts

LEGACY_ID = "legacy-ec2"
EXPRESS_ID = "ecs-express"
TTL_SECONDS = 60


class Route53Traffic:
    """Splits one DNS name between the legacy ALB and the Express endpoint by weight."""

    def __init__(self, route53: Any) -> None:
        self._route53 = route53

    @translate_refusals
    def set_weights(
        self, record: DnsRecordFacts, legacy_target: str, express_target: str, express_weight: int
    ) -> None:
        """Replace the simple record (if any) with two weighted CNAMEs, atomically."""
        name = record.record_name if record.record_name.endswith(".") else record.record_name + "."
        existing = self._route53.list_resource_record_sets(
            HostedZoneId=record.hosted_zone_id, StartRecordName=name, MaxItems="10"
        )["ResourceRecordSets"]
        changes: list[dict[str, Any]] = [
            {"Action": "DELETE", "ResourceRecordSet": r}
            for r in existing
            if r["Name"] == name
            and "SetIdentifier" not in r
            and r["Type"] in ("A", "AAAA", "CNAME")
        ]
        for identifier, target, weight in (
            (LEGACY_ID, legacy_target, 100 - express_weight),
            (EXPRESS_ID, express_target, express_weight),
        ):
            changes.append(
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": "CNAME",
                        "SetIdentifier": identifier,
                        "Weight": weight,
                        "TTL": TTL_SECONDS,
                        "ResourceRecords": [{"Value": target}],
                    },
                }
            )
        self._route53.change_resource_record_sets(
            HostedZoneId=record.hosted_zone_id,
            ChangeBatch={
                "Comment": f"migrate-bot: {express_weight}% to ECS Express",
                "Changes": changes,
            },
        )
