"""AWS calls one discovery makes, in accounts with 10, 100 and 1,000 other target groups.

Each account is the sandbox's seeded legacy account (secure-blog behind a shared ALB, routed
by a host-header rule) plus that many other apps (``sandbox.neighbours``): a target group, a
host-header rule on a shared ALB and a Route 53 record each. moto runs in process. Calls are
counted per operation with botocore's ``before-call`` event on the discovery's own clients,
for one ``find_instance`` + ``find_load_balancing`` (+ the DNS record) as the discovery
service makes them. The last line is the figure to compare: the goal is the same count at
every size.

The same accounts are measured with secure-blog routed by its listener's default action (no
host rule, so nothing names its record and public zones are searched, within
``SEARCH_CALLS`` Route 53 calls). Its record, blog.example.com, sorts after the others'
app-N.example.com, so the search reads every other record before it: the worst case until
the bound. That line comes first.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (10, 100, 1000)


def calls_for(others: int, *, default_action: bool = False) -> collections.Counter[str]:
    """Seed an account with ``others`` other apps; count one discovery's calls by operation.

    ``default_action``: secure-blog's listener forwards to it by its default action instead.
    """
    import boto3
    from moto import mock_aws

    from bot.adapters.aws_discovery import AwsDiscovery
    from bot.domain.planning import make_plan
    from sandbox.legacy import seed_legacy
    from sandbox.neighbours import route_by_default_action, seed_neighbours

    with mock_aws():

        def clients(service: str) -> Any:
            return boto3.client(service, region_name="us-east-1")

        legacy = seed_legacy(clients)
        if default_action:
            route_by_default_action(clients, legacy)
        seed_neighbours(clients, legacy, others)
        counts: collections.Counter[str] = collections.Counter()
        own = {name: clients(name) for name in ("ec2", "elbv2", "route53", "iam")}
        for client in own.values():
            client.meta.events.register(
                "before-call", lambda model, **_: counts.update([model.name])
            )
        discovery = AwsDiscovery(own["ec2"], own["elbv2"], own["route53"], iam=own["iam"])
        instance = discovery.find_instance(legacy.instance_id)
        path = discovery.find_load_balancing(instance)
        if path is None or path.target_group_arn != legacy.target_group_arn:
            raise SystemExit(f"discovery missed the app's target group with {others} others")
        if bool(path.host_names) == default_action:
            raise SystemExit(f"the app's rule names hosts {path.host_names}")
        dns = (
            path.dns_record
            if path.host_names
            else discovery.find_dns_record(path.load_balancer_dns)
        )
        if dns is None or dns.record_name != legacy.record_name:
            raise SystemExit(f"discovery missed the app's record with {others} others")
        # The instance role's policies and the groups admitting the instance (the neighbours'
        # groups admit their own instances, not this one).
        make_plan(instance, path, dns, discovery.find_access(instance))
        return counts


def _measure(sizes: list[int], *, default_action: bool) -> tuple[str, str]:
    """Print the calls per operation at each size; return the totals and Route 53's, ``a/b/c``."""
    totals, route53 = [], []
    for size in sizes:
        counts = calls_for(size, default_action=default_action)
        totals.append(sum(counts.values()))
        route53.append(counts["ListHostedZonesByName"] + counts["ListResourceRecordSets"])
        shape = "default-action app" if default_action else "host-rule app"
        print(f"{shape}, {size} other target groups (+ {size} records):")
        for operation, count in sorted(counts.items()):
            print(f"  {operation:28} {count}")
    return "/".join(str(t) for t in totals), "/".join(str(r) for r in route53)


def main() -> None:
    """Print the calls per operation at each size, then the two totals lines."""
    from bot.adapters.aws_discovery import SEARCH_CALLS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    sizes = "/".join(str(s) for s in args.sizes)
    default_action, searched = _measure(args.sizes, default_action=True)
    host_rule, _ = _measure(args.sizes, default_action=False)
    print(
        f"(the default-action app's record search made {searched} Route 53 calls; "
        f"it makes at most {SEARCH_CALLS} at any size)"
    )
    print(f"discovery calls (default-action app) at {sizes} records: {default_action}")
    print(f"discovery calls at {sizes} target groups: {host_rule}")


if __name__ == "__main__":
    main()
