"""The removals of Clean up, behind the ``CleanupAws`` port. Each tolerates "already gone".

- ``DeleteExpressGatewayService``: the service goes ``DRAINING`` ("existing tasks complete
  current requests without starting new tasks"), then its managed resources are removed (ECS
  API Reference); ``ServiceNotActiveException``/``ServiceNotFoundException`` mean it is
  already going or gone. ``service_drained`` reads ``DescribeExpressGatewayService``'s
  ``status.statusCode`` (``INACTIVE``).
- What the edge step added to the Express load balancer: its certificate off the listener
  (``RemoveListenerCertificates``) and its host out of the rule's ``host-header`` condition
  (``ModifyRule`` with the rule's other conditions as they are; ELB API Reference). A rule or
  listener already gone (the service drained) is fine.
- ``DeleteAlarms`` (deleting an alarm that does not exist is not an error, CloudWatch API
  Reference); the stack group's schedules named after the migration (``ListSchedules`` with
  ``NamePrefix``, ``DeleteSchedule``; EventBridge Scheduler API Reference).
- ``DeleteSecret`` with a 7-day recovery window, the least Secrets Manager allows ("you can't
  use both this parameter and ForceDeleteWithoutRecovery"; 7–30 days): recoverable by a person
  for a week.
- ``DeleteCertificate`` (ACM refuses a certificate in use by another service with
  ``ResourceInUseException``: ``ResourceBusyError``, tried again later) and the validation
  CNAME (``ChangeResourceRecordSets`` ``DELETE`` with the record as it is).
- The task role: its inline policies deleted and managed ones detached first (IAM refuses
  ``DeleteRole`` otherwise: ``DeleteConflict``), then ``DeleteRole``.
- The tasks' security group: ``DeleteSecurityGroup`` fails with ``DependencyViolation`` while a
  network interface uses it (EC2 API Reference): ``ResourceBusyError``.
- ``DeleteRepository`` with ``force`` (its images go with it) and CodeBuild ``DeleteProject``
  (deleting a project that does not exist succeeds, CodeBuild API Reference).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.aws_certificates import CertificateError, listener_certificates
from bot.adapters.aws_edge import _sendable
from bot.adapters.aws_errors import translate_refusals
from bot.adapters.aws_task_access import security_group_name
from bot.domain.access import role_name
from bot.ports import ResourceBusyError

#: Secrets Manager's shortest recovery window (DeleteSecret: 7 to 30 days).
RECOVERY_DAYS = 7


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


class AwsCleanup:
    """Deletes what a migration made on the ECS side."""

    def __init__(self, clients: Any, schedule_group: str) -> None:
        """``clients(service)`` returns a boto3 client (the composition root's)."""
        self._client = clients
        self._group = schedule_group

    @translate_refusals
    def remove_edge(self, listener_arn: str, rule_arn: str, added: dict[str, str]) -> list[str]:
        """The edge step's certificate off the listener, its host out of the rule."""
        elbv2 = self._client("elbv2")
        removed: list[str] = []
        certificate = added.get("certificate_arn")
        try:
            present = certificate in listener_certificates(elbv2, listener_arn)
        except CertificateError:
            present = False  # the listener is gone (the service drained)
        if certificate and present:
            try:
                elbv2.remove_listener_certificates(
                    ListenerArn=listener_arn, Certificates=[{"CertificateArn": certificate}]
                )
                removed.append(f"listener certificate {_short(certificate)} (Express listener)")
            except ClientError as error:
                if _code(error) not in ("ListenerNotFound", "CertificateNotFound"):
                    raise
        host = added.get("host")
        if host:
            try:
                (rule,) = elbv2.describe_rules(RuleArns=[rule_arn])["Rules"]
            except ClientError as error:
                if _code(error) != "RuleNotFound":
                    raise
                return removed
            conditions = [_sendable(c) for c in rule.get("Conditions", [])]
            for condition in conditions:
                config = condition.get("HostHeaderConfig")
                if condition["Field"] == "host-header" and config is not None:
                    values = config["Values"]
                    kept = [v for v in values if v.lower() != host.lower()]
                    if kept != values and kept:
                        config["Values"] = kept
                        elbv2.modify_rule(RuleArn=rule_arn, Conditions=conditions)
                        removed.append(f"host {host} (Express listener rule)")
        return removed

    @translate_refusals
    def delete_service(self, service_arn: str) -> str | None:
        """Start the service draining; None when it is already draining or gone."""
        try:
            self._client("ecs").delete_express_gateway_service(serviceArn=service_arn)
        except ClientError as error:
            if _code(error) in ("ServiceNotActiveException", "ServiceNotFoundException"):
                return None
            raise
        return f"Express service {_short(service_arn)}"

    @translate_refusals
    def service_drained(self, service_arn: str) -> bool:
        """INACTIVE (or unknown): its tasks have stopped."""
        try:
            service = self._client("ecs").describe_express_gateway_service(serviceArn=service_arn)[
                "service"
            ]
        except ClientError as error:
            if _code(error) in ("ResourceNotFoundException", "ServiceNotFoundException"):
                return True
            raise
        return str(service.get("status", {}).get("statusCode")) == "INACTIVE"

    @translate_refusals
    def delete_alarms(self, names: list[str]) -> str | None:
        """DeleteAlarms of the names that exist."""
        cloudwatch = self._client("cloudwatch")
        found = cloudwatch.describe_alarms(AlarmNames=names).get("MetricAlarms", [])
        present = [a["AlarmName"] for a in found]
        if not present:
            return None
        cloudwatch.delete_alarms(AlarmNames=present)
        return f"alarms {', '.join(present)}"

    @translate_refusals
    def delete_schedules(self, prefix: str) -> str | None:
        """Delete the group's schedules whose names start with ``prefix``."""
        scheduler = self._client("scheduler")
        names: list[str] = []
        request: dict[str, Any] = {"GroupName": self._group, "NamePrefix": prefix}
        while True:
            page = scheduler.list_schedules(**request)
            names += [s["Name"] for s in page.get("Schedules", []) if s["Name"].startswith(prefix)]
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
        deleted = 0
        for name in names:
            try:
                scheduler.delete_schedule(Name=name, GroupName=self._group)
                deleted += 1
            except ClientError as error:
                if _code(error) != "ResourceNotFoundException":
                    raise
        return f"{deleted} one-time schedule(s)" if deleted else None

    @translate_refusals
    def delete_secret(self, secret_arn: str) -> str | None:
        """Schedule the secret's deletion (7 days' recovery)."""
        manager = self._client("secretsmanager")
        try:
            described = manager.describe_secret(SecretId=secret_arn)
        except ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                return None
            raise
        if described.get("DeletedDate"):
            return None  # already scheduled for deletion
        manager.delete_secret(SecretId=secret_arn, RecoveryWindowInDays=RECOVERY_DAYS)
        return f"secret {described.get('Name', secret_arn)} (deleted after {RECOVERY_DAYS} days)"

    @translate_refusals
    def delete_certificate(self, certificate_arn: str) -> str | None:
        """DeleteCertificate; in use: ``ResourceBusyError``."""
        try:
            self._client("acm").delete_certificate(CertificateArn=certificate_arn)
        except ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                return None
            if _code(error) == "ResourceInUseException":
                raise ResourceBusyError(
                    f"the certificate {_short(certificate_arn)} is still in use"
                ) from error
            raise
        return f"ACM certificate {_short(certificate_arn)}"

    @translate_refusals
    def delete_validation_record(self, hosted_zone_id: str, name: str, value: str) -> str | None:
        """DELETE the validation CNAME as it is in the zone; None when it is not there."""
        route53 = self._client("route53")
        listed = route53.list_resource_record_sets(
            HostedZoneId=hosted_zone_id, StartRecordName=name, StartRecordType="CNAME", MaxItems="1"
        )["ResourceRecordSets"]
        fqdn = name if name.endswith(".") else name + "."
        found = [
            r
            for r in listed
            if r["Name"] == fqdn
            and r["Type"] == "CNAME"
            and [v["Value"] for v in r.get("ResourceRecords", [])] == [value]
        ]
        if not found:
            return None
        route53.change_resource_record_sets(
            HostedZoneId=hosted_zone_id,
            ChangeBatch={
                "Comment": "migrate-bot: clean up",
                "Changes": [{"Action": "DELETE", "ResourceRecordSet": found[0]}],
            },
        )
        return f"validation record {fqdn}"

    @translate_refusals
    def delete_task_role(self, migration_id: str) -> str | None:
        """Its policies first, then the role."""
        iam = self._client("iam")
        name = role_name(migration_id)
        try:
            inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
        except ClientError as error:
            if _code(error) == "NoSuchEntity":
                return None
            raise
        for policy in inline:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        for policy in attached:
            iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
        iam.delete_role(RoleName=name)
        return f"task role {name}"

    @translate_refusals
    def delete_task_security_group(self, migration_id: str, vpc_id: str) -> str | None:
        """DeleteSecurityGroup; still used by a network interface: ``ResourceBusyError``."""
        ec2 = self._client("ec2")
        name = security_group_name(migration_id)
        found = ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "group-name", "Values": [name]},
            ]
        )["SecurityGroups"]
        if not found:
            return None
        group_id = found[0]["GroupId"]
        try:
            ec2.delete_security_group(GroupId=group_id)
        except ClientError as error:
            if _code(error) == "InvalidGroup.NotFound":
                return None
            if _code(error) == "DependencyViolation":
                raise ResourceBusyError(f"the security group {group_id} is still in use") from error
            raise
        return f"security group {name} ({group_id})"

    @translate_refusals
    def delete_repository(self, name: str) -> str | None:
        """DeleteRepository with its images (``force``)."""
        try:
            self._client("ecr").delete_repository(repositoryName=name, force=True)
        except ClientError as error:
            if _code(error) == "RepositoryNotFoundException":
                return None
            raise
        return f"ECR repository {name} (with its images)"

    @translate_refusals
    def delete_project(self, name: str) -> str | None:
        """DeleteProject (builds' history goes with it)."""
        codebuild = self._client("codebuild")
        if not codebuild.batch_get_projects(names=[name]).get("projects"):
            return None
        codebuild.delete_project(name=name)
        return f"CodeBuild project {name}"
