"""Where the Express service runs: subnets that keep the legacy app's visibility (pure).

The rules this follows, and where they come from:

- Express Mode creates the Application Load Balancer itself, in the subnets the service is
  given (``networkConfiguration.subnets``: "The IDs of the subnets associated with the Express
  service"), and runs the tasks in those subnets ("The network configuration for the Express
  service tasks", botocore model; https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ExpressGatewayServiceNetworkConfiguration.html).
  Given public subnets it creates (or shares) an internet-facing ALB, given private ones an
  internal ALB (observed and reported in https://dev.classmethod.jp/articles/ecs-express-mode-alb-creation-timing ;
  AWS's Express pages do not state it, see the README's known limits).
- An internet-facing ALB needs public subnets; an ALB needs subnets in at least two
  Availability Zones: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html
- A subnet is public when its route table has a route to an internet gateway; a subnet with no
  explicit route-table association uses the VPC's main route table:
  https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html#subnet-types and
  https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.facts import InstanceFacts, LoadBalancingFacts, SubnetFacts

INTERNET_FACING, INTERNAL = "internet-facing", "internal"
MIN_ZONES = 2


@dataclass(frozen=True)
class Placement:
    """The subnets chosen for the tasks, the visibility they give, and what to tell a person."""

    subnet_ids: list[str]
    scheme: str | None
    description: str
    warnings: list[str] = field(default_factory=list)


def _kind(public: bool) -> str:
    return "public" if public else "private"


def _zones(subnets: list[SubnetFacts]) -> str:
    return ", ".join(sorted({s.availability_zone for s in subnets}))


def choose_subnets(instance: InstanceFacts, load_balancing: LoadBalancingFacts | None) -> Placement:
    """Pick one subnet per Availability Zone, of the kind that keeps the app's visibility."""
    own = next((s for s in instance.subnets if s.subnet_id == instance.subnet_id), None)
    if not instance.subnets or own is None:
        subnets = (load_balancing.subnet_ids if load_balancing else []) or [instance.subnet_id]
        return Placement(
            subnets,
            load_balancing.scheme if load_balancing else None,
            f"tasks in {', '.join(subnets)} (the VPC's subnets could not be read)",
            ["Could not read the VPC's subnets and route tables; check the tasks' subnets."],
        )
    scheme = (load_balancing.scheme if load_balancing else None) or (
        INTERNET_FACING if own.public else INTERNAL
    )
    want_public = scheme == INTERNET_FACING
    warnings: list[str] = []
    candidates = [s for s in instance.subnets if s.public == want_public]
    if not candidates:
        warnings.append(
            f"The legacy app is {scheme}, but the VPC has no {_kind(want_public)} subnet; "
            f"the tasks go in {_kind(not want_public)} subnets, which makes the Express "
            f"service {INTERNAL if want_public else INTERNET_FACING}. Edit the plan's subnets."
        )
        want_public = not want_public
        scheme = INTERNET_FACING if want_public else INTERNAL
        candidates = [s for s in instance.subnets if s.public == want_public]
    chosen = _one_per_zone(candidates, _app_zones(own, load_balancing))
    if len({s.availability_zone for s in chosen}) < MIN_ZONES:
        warnings.append(
            f"The VPC has {_kind(want_public)} subnets in only "
            f"{len({s.availability_zone for s in chosen})} Availability Zone(s); Express Mode's "
            f"load balancer needs two. Add a {_kind(want_public)} subnet in another zone."
        )
    ids = [s.subnet_id for s in chosen]
    description = (
        f"tasks in {_kind(want_public)} subnets {', '.join(ids)} ({_zones(chosen)}) behind an "
        f"{scheme} load balancer, where the instance ran in {_kind(own.public)} subnet "
        f"{own.subnet_id} ({own.availability_zone})"
    )
    return Placement(ids, scheme, description, warnings)


def _app_zones(own: SubnetFacts, load_balancing: LoadBalancingFacts | None) -> list[str]:
    """The zones the app used: the instance's first, then its load balancer's."""
    zones = [own.availability_zone]
    for zone in load_balancing.availability_zones if load_balancing else []:
        if zone not in zones:
            zones.append(zone)
    return zones


def _one_per_zone(candidates: list[SubnetFacts], app_zones: list[str]) -> list[SubnetFacts]:
    """One subnet in every zone the app used; other zones only to reach two."""
    by_zone: dict[str, SubnetFacts] = {}
    for subnet in sorted(candidates, key=lambda s: (s.availability_zone, s.subnet_id)):
        by_zone.setdefault(subnet.availability_zone, subnet)
    chosen = [by_zone[z] for z in app_zones if z in by_zone]
    for zone in sorted(by_zone):
        if len(chosen) >= MIN_ZONES:
            break
        if by_zone[zone] not in chosen:
            chosen.append(by_zone[zone])
    return chosen
