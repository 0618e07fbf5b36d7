"""A plan on its own: discovery's reads and ``make_plan``, with no migration, store or event.

Discovery (``discovery.run``) and the ``migrate-bot plan`` command (with the user's own
credentials) both plan through this one function.
"""

from __future__ import annotations

from bot.domain.facts import InstanceFacts
from bot.domain.plan import Plan
from bot.domain.planning import make_plan
from bot.ports import DiscoveryAws


def plan_for(target: str, aws: DiscoveryAws) -> Plan:
    """Discover ``target`` and propose its plan (see ``discover``)."""
    return discover(target, aws)[1]


def discover(target: str, aws: DiscoveryAws) -> tuple[InstanceFacts, Plan]:
    """Discover ``target`` (instance id, Name tag or load balancer name) and propose its plan.

    Raises what discovery raises: ``InstanceNotFoundError``, ``DiscoveryError``,
    ``UnknownInstanceTypeError`` and ``AwsRefusedError``.
    """
    instance = aws.find_instance(target)
    load_balancing = aws.find_load_balancing(instance)
    dns = None
    if load_balancing is not None:
        # A rule with a host-header condition serves only that name, so on a shared ALB another
        # record aliasing the same load balancer belongs to another app: no search then.
        dns = (
            load_balancing.dns_record
            if load_balancing.host_names
            else aws.find_dns_record(load_balancing.load_balancer_dns)
        )
    return instance, make_plan(instance, load_balancing, dns, aws.find_access(instance))
