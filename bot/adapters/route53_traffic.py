"""Route 53 weighted alias records behind the ``TrafficAws`` port.

A cutover replaces the app's simple record with two weighted **alias** records of type A,
one to each load balancer (``SetIdentifier`` legacy-ec2 / ecs-express, ``Weight``,
``AliasTarget`` with the load balancer's DNS name and canonical hosted zone id and
``EvaluateTargetHealth``), in one change batch (Route 53 applies a batch as a whole:
"Route 53 validates the changes in the request and then either makes all or none of the
changes", ChangeResourceRecordSets). Alias records, unlike CNAMEs, may live at a zone apex
and take no TTL of their own (Route 53 Developer Guide, "Choosing between alias and non-alias
records"; "Values for alias records": an alias to an ELB load balancer uses its 60-second
TTL). A record name cannot hold a simple record and weighted records of one type at once,
so the simple records at the name (A, AAAA, CNAME: the AAAA goes too, since the weighted
records are A only) are deleted in the same batch and kept by the caller, which restores
them exactly (``restore``) when all traffic goes back to EC2.

Every change returns Route 53's change id; ``change_status`` reads it (``GetChange``:
``PENDING`` until "all Route 53 DNS servers" have the change, then ``INSYNC``).
"""

from __future__ import annotations

from typing import Any

from bot.adapters.aws_errors import translate_refusals
from bot.domain.facts import AliasTarget, DnsRecordFacts

LEGACY_ID = "legacy-ec2"
EXPRESS_ID = "ecs-express"
#: The simple record types a cutover replaces (and a full rollback restores).
REPLACED_TYPES = ("A", "AAAA", "CNAME")
_PAGE = "20"


def _fqdn(name: str) -> str:
    return name if name.endswith(".") else name + "."


class Route53Traffic:
    """Splits one DNS name between the legacy ALB and the Express ALB by weight."""

    def __init__(self, route53: Any) -> None:
        self._route53 = route53

    @translate_refusals
    def records_at(self, record: DnsRecordFacts) -> list[dict[str, Any]]:
        """Every record set at the record's name, as Route 53 lists them."""
        name = _fqdn(record.record_name)
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "HostedZoneId": record.hosted_zone_id,
            "StartRecordName": name,
            "MaxItems": _PAGE,
        }
        while True:
            page = self._route53.list_resource_record_sets(**request)
            for item in page["ResourceRecordSets"]:
                if item["Name"] != name:
                    return found  # listed in name order: past the name
                found.append(item)
            if not page.get("IsTruncated"):
                return found
            request.update(
                StartRecordName=page["NextRecordName"], StartRecordType=page["NextRecordType"]
            )
            if "NextRecordIdentifier" in page:
                request["StartRecordIdentifier"] = page["NextRecordIdentifier"]
            else:
                request.pop("StartRecordIdentifier", None)

    def originals(self, record: DnsRecordFacts) -> list[dict[str, Any]]:
        """The simple records a cutover would replace (none once weighted records are there)."""
        return [
            r
            for r in self.records_at(record)
            if "SetIdentifier" not in r and r["Type"] in REPLACED_TYPES
        ]

    @translate_refusals
    def set_weights(
        self,
        record: DnsRecordFacts,
        legacy: AliasTarget,
        express: AliasTarget,
        express_weight: int,
    ) -> str:
        """Send ``express_weight`` percent to the Express ALB; return the change id."""
        name = _fqdn(record.record_name)
        changes: list[dict[str, Any]] = [
            {"Action": "DELETE", "ResourceRecordSet": r} for r in self.originals(record)
        ]
        for identifier, target, weight in (
            (LEGACY_ID, legacy, 100 - express_weight),
            (EXPRESS_ID, express, express_weight),
        ):
            changes.append(
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": _weighted(name, identifier, target, weight),
                }
            )
        return self._change(record, f"migrate-bot: {express_weight}% to ECS Express", changes)

    @translate_refusals
    def restore(self, record: DnsRecordFacts, originals: list[dict[str, Any]]) -> str | None:
        """Put ``originals`` back in place of the weighted records; None when nothing was to do."""
        present = self.records_at(record)
        weighted = [r for r in present if r.get("SetIdentifier") in (LEGACY_ID, EXPRESS_ID)]
        missing = [o for o in originals if not any(_same_set(o, p) for p in present)]
        if not weighted and not missing:
            return None
        changes = [{"Action": "DELETE", "ResourceRecordSet": r} for r in weighted]
        changes += [{"Action": "CREATE", "ResourceRecordSet": o} for o in missing]
        return self._change(record, "migrate-bot: the original record restored", changes)

    @translate_refusals
    def change_status(self, change_id: str) -> str:
        """``PENDING`` or ``INSYNC`` (GetChange)."""
        return str(self._route53.get_change(Id=change_id)["ChangeInfo"]["Status"])

    def _change(self, record: DnsRecordFacts, comment: str, changes: list[dict[str, Any]]) -> str:
        answer = self._route53.change_resource_record_sets(
            HostedZoneId=record.hosted_zone_id,
            ChangeBatch={"Comment": comment, "Changes": changes},
        )
        return str(answer["ChangeInfo"]["Id"]).removeprefix("/change/")


def _weighted(name: str, identifier: str, target: AliasTarget, weight: int) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "A",
        "SetIdentifier": identifier,
        "Weight": weight,
        "AliasTarget": {
            "HostedZoneId": target.hosted_zone_id,
            "DNSName": _fqdn(target.dns_name),
            "EvaluateTargetHealth": True,
        },
    }


def _same_set(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a["Name"], a["Type"], a.get("SetIdentifier")) == (
        b["Name"],
        b["Type"],
        b.get("SetIdentifier"),
    )
