"""A DNS resolver for the sandbox's users: which load balancer does a name reach right now.

It answers from the Route 53 records in the AWS stand-in (a boto3 ``route53`` client), the
way Route 53 and a caching resolver in front of it answer a browser. Sources, all in the
Route 53 Developer Guide unless named:

- **The zone**: the public hosted zone whose name is the longest suffix of the queried name
  (the zone apex is the zone's own name). Private zones are not consulted: the load generator
  is a user on the internet. A name with no record in its zone is NXDOMAIN
  (``ResolutionError``); so is a name in no zone of the account.
- **Simple records** ("Simple routing"): the record's values; a client picks one of several.
- **Weighted records** ("Weighted routing"; "Values for weighted alias records", Weight):
  records with the same name and type and a ``SetIdentifier``; each lookup picks one with
  probability weight / sum of weights; when every weight is 0, each has an equal chance.
- **Health** ("How Route 53 chooses records when health checking is configured"): an alias
  record with ``EvaluateTargetHealth`` is healthy when its target is (``healthy``, the
  caller's callable, given the target load balancer's DNS name; an ALB is healthy when every
  target group with targets has a healthy target, per "Values for weighted alias records",
  Evaluate Target Health: the caller decides that). Records without health evaluation are
  always healthy. Route 53 first considers the healthy records of nonzero weight, then the
  healthy zero-weight ones, and when none is healthy it treats all as healthy. Records with a
  ``HealthCheckId`` count as healthy here: the stand-in runs no Route 53 health checks.
- **Alias records** ("Choosing between alias and non-alias records"): an alias to an ELB load
  balancer answers with that load balancer's addresses, so the answer names the load balancer
  by its DNS name (without the ``dualstack.`` prefix the console adds, which designates the
  same load balancer for IPv4 and IPv6: "Values for weighted alias records", Alias Target).
  An alias has no TTL of its own: "If an alias record points to an AWS resource, you can't set
  the time to live (TTL); Route 53 uses the TTL for the resource", and for ELB "The DNS entry
  also specifies the time-to-live (TTL) of 60 seconds" (ELB User Guide, "How Elastic Load
  Balancing works", Request routing). An alias to another record in the same hosted zone is
  answered as if that record had been asked for, with that record's TTL.
- **CNAME records**: followed once to their target, as a recursive resolver follows them. When
  the target is itself in one of the account's zones it is looked up there (its alias or
  simple records); a further CNAME is not followed: the answer is that CNAME's target (one
  level is enough for the cutover's weighted CNAMEs). A target outside the account's zones
  (an ELB or Express endpoint name) is the answer as is; the caller maps it to a port.
- **Caching**: a client-side cache per (client, name) keeps an answer for its TTL (the least
  TTL along the chain) in *scaled* time: ``ttl * time_scale`` real seconds, the sandbox's time
  scale being real seconds per simulated second. A time scale of 0 means no waiting, so the
  TTL counts as 0 and every lookup re-reads the records. A weight change therefore reaches a
  user only after the TTL, as it does on the internet.

Not modelled: wildcard records, the failover/latency/geolocation/multivalue policies (a
lookup that meets one raises ``ResolutionError``), AAAA-only names, DNSSEC.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: ELB's DNS TTL, used for alias records that point to an AWS resource (see module docstring).
ALIAS_RESOURCE_TTL = 60
_POLICIES = ("Failover", "Region", "GeoLocation", "GeoProximityLocation", "MultiValueAnswer")
_MAX_ALIAS_HOPS = 8  # an alias chain inside Route 53 (loops are refused by Route 53 itself)


class ResolutionError(Exception):
    """The name does not resolve (NXDOMAIN) or uses what the stand-in does not model."""


@dataclass(frozen=True)
class Resolution:
    """One answer: the load balancer (or address) a name reaches, and for how long."""

    name: str  # the name asked for, lower-case, without the trailing dot
    target: str  # the load balancer's DNS name (lower-case, no dot) or an address
    ttl: int  # simulated seconds the answer may be cached
    record: str | None  # the SetIdentifier of the weighted record chosen, if any
    chain: tuple[str, ...]  # the names followed, the asked name first


def normalise(name: str) -> str:
    """A DNS name as compared here: lower-case, no trailing dot, no ``dualstack.`` prefix."""
    name = name.strip().lower().rstrip(".")
    return name.removeprefix("dualstack.")


class Resolver:
    """Answers names from Route 53's records, with a per-client cache in scaled time."""

    def __init__(
        self,
        route53: Any,
        *,
        time_scale: float = 0.0,
        healthy: Callable[[str], bool] | None = None,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._route53 = route53
        self._time_scale = time_scale
        self._healthy = healthy or (lambda _target: True)
        self._rng = rng or random.Random()
        self._monotonic = monotonic
        self._cache: dict[tuple[int, str], tuple[float, Resolution]] = {}
        self._lock = threading.Lock()

    def resolve(self, name: str, *, client: int = 0) -> Resolution:
        """What ``name`` reaches for one client (a user's resolver cache), cached for its TTL."""
        key = (client, normalise(name))
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and now < cached[0]:
                return cached[1]
        answer = self.lookup(key[1])
        with self._lock:
            self._cache[key] = (now + answer.ttl * self._time_scale, answer)
        return answer

    def lookup(self, name: str) -> Resolution:
        """Read the records now (no cache) and answer ``name`` once."""
        name = normalise(name)
        zones = self._zones()  # read once per lookup
        target, ttl, record, chain = self._answer(name, zones, cname_followed=False, hops=0)
        return Resolution(name=name, target=target, ttl=ttl, record=record, chain=(name, *chain))

    def forget(self) -> None:
        """Empty every client's cache (a user flushing DNS)."""
        with self._lock:
            self._cache.clear()

    def _answer(
        self, name: str, zones: list[dict[str, Any]], *, cname_followed: bool, hops: int
    ) -> tuple[str, int, str | None, tuple[str, ...]]:
        if hops > _MAX_ALIAS_HOPS:
            raise ResolutionError(f"{name}: alias chain longer than {_MAX_ALIAS_HOPS}")
        zone = self._zone_for(name, zones)
        if zone is None:
            raise ResolutionError(f"{name}: NXDOMAIN (in no hosted zone of the account)")
        records = self._records(zone, name)
        if not records:
            raise ResolutionError(f"{name}: NXDOMAIN (no A or CNAME record in {zone[1]})")
        record = self._choose(records)
        identifier = record.get("SetIdentifier")
        alias = record.get("AliasTarget")
        if alias is not None:
            target = normalise(alias["DNSName"])
            if self._zone_for(target, zones, zone_id=alias.get("HostedZoneId")) is not None:
                found, ttl, inner, chain = self._answer(
                    target, zones, cname_followed=cname_followed, hops=hops + 1
                )
                return found, ttl, identifier or inner, (target, *chain)
            return target, ALIAS_RESOURCE_TTL, identifier, ()
        values = [normalise(v["Value"]) for v in record.get("ResourceRecords") or []]
        if not values:
            raise ResolutionError(f"{name}: record without values")
        value, ttl = self._rng.choice(values), int(record.get("TTL", 0))
        if record["Type"] == "CNAME" and not cname_followed and self._zone_for(value, zones):
            found, inner_ttl, inner, chain = self._answer(
                value, zones, cname_followed=True, hops=hops + 1
            )
            return found, min(ttl, inner_ttl), identifier or inner, (value, *chain)
        return value, ttl, identifier, ()

    def _choose(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        weighted = [r for r in records if "Weight" in r]
        if not weighted:
            return self._rng.choice(records)
        healthy = [r for r in weighted if self._is_healthy(r)] or weighted
        nonzero = [r for r in healthy if int(r["Weight"]) > 0]
        pool = nonzero or healthy
        weights = [int(r["Weight"]) for r in pool]
        if sum(weights) == 0:
            return self._rng.choice(pool)
        return self._rng.choices(pool, weights=weights, k=1)[0]

    def _is_healthy(self, record: dict[str, Any]) -> bool:
        alias = record.get("AliasTarget")
        if alias is None or not alias.get("EvaluateTargetHealth"):
            return True
        return bool(self._healthy(normalise(alias["DNSName"])))

    @staticmethod
    def _zone_for(
        name: str, zones: list[dict[str, Any]], zone_id: str | None = None
    ) -> tuple[str, str] | None:
        """The (id, name) of the public zone whose name is the longest suffix of ``name``."""
        best: tuple[str, str] | None = None
        for zone in zones:
            if zone.get("Config", {}).get("PrivateZone"):
                continue
            zone_name = normalise(zone["Name"])
            if name != zone_name and not name.endswith("." + zone_name):
                continue
            found = (zone["Id"].removeprefix("/hostedzone/"), zone_name)
            if zone_id is not None and found[0] != zone_id.removeprefix("/hostedzone/"):
                continue
            if best is None or len(zone_name) > len(best[1]):
                best = found
        return best

    def _zones(self) -> list[dict[str, Any]]:
        zones: list[dict[str, Any]] = []
        request: dict[str, Any] = {}
        while True:
            page = self._route53.list_hosted_zones(**request)
            zones.extend(page["HostedZones"])
            if not page.get("IsTruncated"):
                return zones
            request = {"Marker": page["NextMarker"]}

    def _records(self, zone: tuple[str, str], name: str) -> list[dict[str, Any]]:
        """The name's A records, else its CNAME (what a query for A is answered from)."""
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {"HostedZoneId": zone[0], "StartRecordName": name}
        while True:
            page = self._route53.list_resource_record_sets(**request)
            sets = page["ResourceRecordSets"]
            found.extend(r for r in sets if normalise(r["Name"]) == name)
            past = any(normalise(r["Name"]) != name for r in sets)
            if past or not page.get("IsTruncated"):
                break
            request = {
                "HostedZoneId": zone[0],
                "StartRecordName": page["NextRecordName"],
                "StartRecordType": page["NextRecordType"],
            }
        for kind in ("A", "CNAME"):
            chosen = [r for r in found if r["Type"] == kind]
            for record in chosen:
                policy = next((p for p in _POLICIES if p in record), None)
                if policy is not None:
                    raise ResolutionError(f"{name}: {policy} routing is not modelled")
            if chosen:
                return chosen
        return []
