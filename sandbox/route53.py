"""Route 53 as AWS answers where moto does not (installed by the sandbox and the tests).

- **Changes propagate.** ``ChangeResourceRecordSets`` answers ``PENDING`` with an id of its
  own, and ``GetChange`` says ``PENDING`` until the change has reached "all Route 53 DNS
  servers", then ``INSYNC`` (Route 53 API Reference, ChangeResourceRecordSets and
  GetChange; "Changes generally propagate to all Route 53 name servers within 60
  seconds"). Here that takes ``PROPAGATION_SECONDS`` simulated seconds, scaled like the
  sandbox's other delays (time scale 0: in sync at once). An unknown id is
  ``NoSuchChange``. moto answers ``INSYNC`` with one fixed id for every change.
- **Alias records have no TTL.** An alias record "inherits" the target's TTL and cannot set
  one (Developer Guide, "Choosing between alias and non-alias records"); moto lists a
  ``TTL`` of 0 for it, which a caller could not send back. Listed without one here, and an
  alias record with a ``TTL`` is refused (``InvalidInput``; AWS's exact message is not
  documented).
- **Simple and weighted records of one name and type do not mix.** AWS refuses the batch
  with ``InvalidChangeBatch`` "RRSet with DNS name …, type … cannot be created as other
  RRSets exist with the same name and type" (a simple record over weighted ones) or "… as a
  non-weighted set exists with the same name and type" (the other way); the wording is the
  one users report from AWS (aws-sdk and external-dns issue threads), the rule is the
  Developer Guide's ("Weighted routing": records of one name and type share a routing policy).
  The batch is checked as a whole before anything changes, as Route 53 applies "all or none".
- **A DELETE removes exactly the record set it names**: "you must specify all the same
  values that you specified when you created it" (ChangeResourceRecordSets, DELETE). moto
  deletes every record set of the name and type (or every set with the identifier, in any
  name); here the name, type and set identifier pick one, and its values must match.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.route53.exceptions import InvalidInput, Route53ClientError
from moto.route53.models import FakeZone, RecordSet
from moto.route53.responses import Route53

PROPAGATION_SECONDS = 30.0  # simulated seconds a change takes to be INSYNC


class _InvalidChangeBatch(Route53ClientError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidChangeBatch", message)


class _NoSuchChange(Route53ClientError):
    def __init__(self, change_id: str) -> None:
        super().__init__(
            "NoSuchChange", f"A change with the specified change ID does not exist: {change_id}"
        )


@dataclass
class _Change:
    submitted_at: Any
    comment: str | None
    in_sync_by: float  # time.monotonic()


_lock = threading.Lock()
_changes: dict[str, _Change] = {}
_state: dict[str, Any] = {"installed": False, "delay": 0.0}


def install(time_scale: float = 0.0) -> None:
    """Patch moto's Route 53 (idempotent); changes take ``PROPAGATION_SECONDS × time_scale``
    real seconds to be INSYNC."""
    _state["delay"] = PROPAGATION_SECONDS * time_scale
    if _state["installed"]:
        return
    Route53.change_resource_record_sets = _change_resource_record_sets  # type: ignore[method-assign]
    Route53.get_change = _get_change  # type: ignore[method-assign]
    original_init: Callable[..., None] = RecordSet.__init__

    def init(self: RecordSet, kwargs: dict[str, Any]) -> None:
        original_init(self, kwargs)
        if "TTL" not in kwargs:
            self.ttl = None  # listed without a TTL (an alias record's)

    RecordSet.__init__ = init  # type: ignore[method-assign]
    _state["installed"] = True


def forget() -> None:
    """Forget the changes made so far (a new sandbox run)."""
    with _lock:
        _changes.clear()


def _key(record: dict[str, Any]) -> tuple[str, str, str | None]:
    name = str(record["Name"]).lower()
    return (
        name if name.endswith(".") else name + ".",
        str(record["Type"]),
        record.get("SetIdentifier"),
    )


def _check_batch(zone: FakeZone, changes: list[dict[str, Any]]) -> None:
    """Refuse the batch as AWS would, before any of it is applied (a batch is applied whole
    or not at all: Route 53 API Reference, ChangeResourceRecordSets, "Change batches are
    considered transactional changes")."""
    sets = {_key(_listed(r)): r for r in zone.rrsets}
    for change in changes:
        record = change["ResourceRecordSet"]
        if "AliasTarget" in record and "TTL" in record:
            raise InvalidInput(
                f"Invalid request: an alias record cannot have a TTL: {record['Name']}"
            )
        key = _key(record)
        if change["Action"] == "DELETE":
            _check_delete(zone, record)
            sets.pop(key, None)
        else:
            if change["Action"] == "CREATE" and key in sets:
                raise _InvalidChangeBatch(
                    f"[Tried to create resource record set [name='{key[0]}', type='{key[1]}'] "
                    "but it already exists]"
                )
            sets[key] = record
    kinds: dict[tuple[str, str], set[bool]] = {}
    for name, kind, identifier in sets:
        kinds.setdefault((name, kind), set()).add(identifier is not None)
    for change in changes:
        record = change["ResourceRecordSet"]
        name, kind, identifier = _key(record)
        if change["Action"] != "DELETE" and kinds.get((name, kind)) == {True, False}:
            if identifier is None:
                reason = "other RRSets exist with the same name and type"
            else:
                reason = "a non-weighted set exists with the same name and type"
            raise _InvalidChangeBatch(
                f"[RRSet with DNS name {name}, type {kind}"
                + (f", SetIdentifier {identifier}" if identifier else "")
                + f" cannot be created as {reason}]"
            )


def _listed(record_set: RecordSet) -> dict[str, Any]:
    return {
        "Name": record_set.name,
        "Type": record_set.type,
        "SetIdentifier": record_set.set_identifier,
    }


def _change_resource_record_sets(self: Route53) -> ActionResult:
    zone_id = self._get_param("HostedZoneId")
    changes = self._get_param("ChangeBatch.Changes")
    comment = self._get_param("ChangeBatch.Comment")
    zone = self.backend.get_hosted_zone(zone_id)
    _check_batch(zone, changes)
    for change in changes:  # a valid batch's end state does not depend on the order
        if change["Action"] == "DELETE":
            _delete(zone, change["ResourceRecordSet"])
    # Checked above, so CREATE goes to moto as UPSERT: moto refuses to CREATE a set again once
    # one like it was deleted while any record sorts after its name (its change journal).
    others = [
        {**c, "Action": "UPSERT"} if c["Action"] == "CREATE" else c
        for c in changes
        if c["Action"] != "DELETE"
    ]
    if others:
        self.backend.change_resource_record_sets(zone_id, others)
    change_id = "C" + secrets.token_hex(10).upper()
    change = _Change(utcnow(), comment, time.monotonic() + _state["delay"])
    with _lock:
        _changes[change_id] = change
    return ActionResult({"ChangeInfo": _info(change_id, change)})


def _get_change(self: Route53) -> ActionResult:
    change_id = str(self._get_param("Id")).removeprefix("/change/")
    with _lock:
        change = _changes.get(change_id)
    if change is None:
        raise _NoSuchChange(change_id)
    return ActionResult({"ChangeInfo": _info(change_id, change)})


def _info(change_id: str, change: _Change) -> dict[str, Any]:
    info = {
        "Id": f"/change/{change_id}",
        "Status": "INSYNC" if time.monotonic() >= change.in_sync_by else "PENDING",
        "SubmittedAt": change.submitted_at,
    }
    if change.comment:
        info["Comment"] = change.comment
    return info


def _values(record: dict[str, Any] | RecordSet) -> tuple[Any, ...]:
    if isinstance(record, RecordSet):
        alias = record.alias_target or {}
        return (
            record.ttl,
            tuple(sorted(record.records or [])),
            record.weight,
            str(alias.get("DNSName", "")).lower().rstrip("."),
            alias.get("HostedZoneId"),
        )
    alias = record.get("AliasTarget") or {}
    values = [v["Value"] if isinstance(v, dict) else v for v in record.get("ResourceRecords", [])]
    weight = record.get("Weight")
    return (
        record.get("TTL"),
        tuple(sorted(values)),
        int(weight) if weight is not None else None,
        str(alias.get("DNSName", "")).lower().rstrip("."),
        alias.get("HostedZoneId"),
    )


def _check_delete(zone: FakeZone, rrset: dict[str, Any]) -> None:
    """Refuse a DELETE of a set that is not there, or whose values differ (as AWS does)."""
    key = _key(rrset)
    for existing in zone.rrsets:
        if _key(_listed(existing)) == key:
            if _values(existing) != _values(rrset):
                raise _InvalidChangeBatch(
                    f"[Tried to delete resource record set [name='{key[0]}', type='{key[1]}'] "
                    "but the values provided do not match the current values]"
                )
            return
    raise _InvalidChangeBatch(
        f"[Tried to delete resource record set [name='{key[0]}', type='{key[1]}'] but it was not found]"
    )


def _delete(zone: FakeZone, rrset: dict[str, Any]) -> None:
    """Remove a set ``_check_delete`` found (the batch was checked whole before)."""
    key = _key(rrset)
    zone.rrsets[:] = [r for r in zone.rrsets if _key(_listed(r)) != key]


__all__ = ["PROPAGATION_SECONDS", "forget", "install"]
