"""The Express load balancer made to serve the app's own name, behind the ``EdgeAws`` port.

An Express Mode service gets its own host name on a load balancer Express manages and shares:
an HTTPS listener with a certificate for the service's ``*.ecs.<region>.on.aws`` endpoint, and
a listener rule per service matching that host (ECS Developer Guide, "Resources created by
Amazon ECS Express Mode services"). Users of ``blog.example.com`` sent there by DNS would get
the listener's default certificate (a name mismatch) and the default rule's answer. So, before
any traffic moves:

- the service's load balancer, listener and rule are read from its managed resources
  (``DescribeExpressGatewayService`` → the active configuration's service revision →
  ``DescribeServiceRevisions``' ``ecsManagedResources.ingressPaths``);
- the certificate for the name (found or requested once the plan was approved,
  ``bot.adapters.aws_certificates``) is added to the Express listener's certificate list (``AddListenerCertificates``: the load balancer then picks it
  by SNI, ELB User Guide, "SSL certificates for your Application Load Balancer");
- the name is added to the service's rule's ``host-header`` condition (``ModifyRule``
  replaces the rule's conditions, so the others are sent back as they are; a rule takes at
  most five condition values, ELB User Guide, "Listener rules": "Condition types").

The probe then asks each load balancer for the app as a user would: TCP to the load balancer's
DNS name, TLS with the app's name as SNI verified against the system's trust store, and
``Host`` the app's name.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
from typing import Any

from bot.adapters.aws_certificates import listener_certificates, listener_scheme
from bot.adapters.aws_errors import translate_refusals
from bot.domain.facts import AliasTarget, ExpressIngress, ProbeAnswer

#: "You can specify up to five match evaluations per rule" (ELB User Guide, Condition types).
MAX_RULE_VALUES = 5
PROBE_TIMEOUT_SECONDS = 5.0
PROBE_MAX_BYTES = 1 << 20


class EdgeError(RuntimeError):
    """The Express side cannot be made to serve the name; the message says why."""


class AwsEdge:
    """ECS, ELBv2 and CloudWatch calls for serving the app's name on the Express load balancer."""

    def __init__(self, ecs: Any, elbv2: Any, cloudwatch: Any = None) -> None:
        self._ecs = ecs
        self._elbv2 = elbv2
        self._cloudwatch = cloudwatch

    @translate_refusals
    def express_ingress(self, service_arn: str, access_type: str) -> ExpressIngress:
        """The service's load balancer, HTTPS listener and rule, from its managed resources."""
        service = self._ecs.describe_express_gateway_service(serviceArn=service_arn)["service"]
        configurations = service.get("activeConfigurations") or []
        revision = configurations[0].get("serviceRevisionArn") if configurations else None
        if not revision:
            raise EdgeError(f"{service_arn} has no active service revision yet")
        revisions = self._ecs.describe_service_revisions(serviceRevisionArns=[revision])
        found = revisions.get("serviceRevisions") or []
        resources = found[0].get("ecsManagedResources", {}) if found else {}
        paths = [p for p in resources.get("ingressPaths", []) if p.get("accessType") == access_type]
        if not paths:
            raise EdgeError(f"{service_arn} reports no {access_type} ingress path")
        path = paths[0]
        try:
            listener = path["listener"]["arn"]
            rule = path["rule"]["arn"]
            balancer_arn = path["loadBalancer"]["arn"]
        except KeyError as missing:
            raise EdgeError(f"{service_arn}'s ingress path lacks its {missing.args[0]}") from None
        (balancer,) = self._elbv2.describe_load_balancers(LoadBalancerArns=[balancer_arn])[
            "LoadBalancers"
        ]
        return ExpressIngress(
            load_balancer_arn=balancer_arn,
            listener_arn=listener,
            rule_arn=rule,
            alias=AliasTarget(
                dns_name=balancer["DNSName"], hosted_zone_id=balancer["CanonicalHostedZoneId"]
            ),
            target_group_arn=next((g["arn"] for g in path.get("targetGroups", [])), None),
            endpoint=path.get("endpoint"),
        )

    @translate_refusals
    def listener_scheme(self, listener_arn: str) -> str:
        """``https`` or ``http``: how users reach the listener."""
        return listener_scheme(self._elbv2, listener_arn)

    @translate_refusals
    def serve_name(
        self, ingress: ExpressIngress, certificate_arn: str, name: str
    ) -> dict[str, str]:
        """The certificate on the Express listener and ``name`` in the service's rule."""
        added: dict[str, str] = {}
        if certificate_arn not in listener_certificates(self._elbv2, ingress.listener_arn):
            self._elbv2.add_listener_certificates(
                ListenerArn=ingress.listener_arn, Certificates=[{"CertificateArn": certificate_arn}]
            )
            added["certificate_arn"] = certificate_arn
        (rule,) = self._elbv2.describe_rules(RuleArns=[ingress.rule_arn])["Rules"]
        conditions = [_sendable(c) for c in rule.get("Conditions", [])]
        hosts = next((c for c in conditions if c["Field"] == "host-header"), None)
        if hosts is None:
            raise EdgeError(f"the Express rule {ingress.rule_arn} has no host-header condition")
        values = hosts["HostHeaderConfig"]["Values"]
        if not any(v.lower() == name.lower() for v in values):
            total = sum(len(_values(c)) for c in conditions)
            if total >= MAX_RULE_VALUES:
                raise EdgeError(
                    f"the Express rule already has {total} condition values, the most a rule "
                    f"takes; {name} cannot be added"
                )
            hosts["HostHeaderConfig"]["Values"] = [*values, name]
            self._elbv2.modify_rule(RuleArn=ingress.rule_arn, Conditions=conditions)
            added["host"] = name
        return added

    @translate_refusals
    def put_alarms(self, requests: list[dict[str, Any]]) -> None:
        """Create (or replace: PutMetricAlarm of an existing name updates it) the alarms."""
        for request in requests:
            self._cloudwatch.put_metric_alarm(**request)

    def probe(self, load_balancer_dns: str, scheme: str, name: str, path: str) -> ProbeAnswer:
        """GET ``path`` from the load balancer with ``name`` as Host (and SNI over HTTPS)."""
        port = 443 if scheme == "https" else 80
        connection: http.client.HTTPConnection
        try:
            if scheme == "https":
                connection = _SniConnection(load_balancer_dns, port, name)
            else:
                connection = http.client.HTTPConnection(
                    load_balancer_dns, port, timeout=PROBE_TIMEOUT_SECONDS
                )
            try:
                connection.request("GET", path, headers={"Host": name, "User-Agent": "migrate-bot"})
                response = connection.getresponse()
                body = response.read(PROBE_MAX_BYTES)
            finally:
                connection.close()
        except (OSError, http.client.HTTPException) as error:
            return ProbeAnswer(error=f"{type(error).__name__}: {error}"[:300])
        return ProbeAnswer(status=response.status, digest=hashlib.sha256(body).hexdigest())


class _SniConnection(http.client.HTTPSConnection):
    """HTTPS to one host (the load balancer) while TLS names another (the app)."""

    def __init__(self, address: str, port: int, server_name: str) -> None:
        super().__init__(
            address, port, timeout=PROBE_TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
        self._server_name = server_name

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_name)  # type: ignore[attr-defined]


_CONFIGS = {
    "host-header": "HostHeaderConfig",
    "path-pattern": "PathPatternConfig",
    "http-header": "HttpHeaderConfig",
    "query-string": "QueryStringConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "source-ip": "SourceIpConfig",
}


def _sendable(condition: dict[str, Any]) -> dict[str, Any]:
    """A condition as DescribeRules gave it, in the form ModifyRule takes back: its
    ``…Config`` alone (sending ``Values`` too is refused)."""
    config = _CONFIGS.get(condition["Field"])
    if config and config in condition:
        return {"Field": condition["Field"], config: dict(condition[config])}
    if condition["Field"] == "host-header":
        return {"Field": "host-header", "HostHeaderConfig": {"Values": list(condition["Values"])}}
    return dict(condition)


def _values(condition: dict[str, Any]) -> list[Any]:
    for key, value in condition.items():
        if key.endswith("Config") and isinstance(value, dict):
            return list(value.get("Values", [])) or [value]
    return list(condition.get("Values", []))
