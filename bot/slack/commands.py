"""Parsing ``/migrate`` text into a command (pure).

Imports nothing heavy: a cold ``/migrate help`` parses here before any model is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MIGRATION_ID = re.compile(r"^mig-[0-9a-f]{8}$")


class CommandError(ValueError):
    """The /migrate text cannot be understood; the message says why."""


@dataclass(frozen=True)
class Help:
    """``/migrate help``."""


@dataclass(frozen=True)
class ListMigrations:
    """``/migrate list``."""


@dataclass(frozen=True)
class Status:
    """``/migrate status [migration-id]``."""

    migration_id: str | None


@dataclass(frozen=True)
class Audit:
    """``/migrate audit <migration-id> [csv]``: who did what, allowed or denied, and why."""

    migration_id: str
    csv: bool = False


@dataclass(frozen=True)
class Report:
    """``/migrate report``: this channel's health report, now."""


@dataclass(frozen=True)
class PolicyShow:
    """``/migrate policy [show]``: the policy that applies in this channel."""


@dataclass(frozen=True)
class PolicySet:
    """``/migrate policy <setting> <value>``: change this channel's policy (admins only)."""

    setting: str
    value: str


@dataclass(frozen=True)
class PolicyReset:
    """``/migrate policy reset``: the stack's default applies again in this channel."""


@dataclass(frozen=True)
class Migrate:
    """``/migrate <instance-id | name> [--image <uri> | --source s3://bucket/key]``."""

    target: str
    image: str | None = None
    source: str | None = None


# A pinned image reference: [registry[:port]/]name[/name...](:tag | @sha256:digest).
IMAGE = re.compile(
    r"^(?:[A-Za-z0-9.-]+(?::\d+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$"
)
SOURCE = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(\S+\.(?:tar\.gz|tgz))$")


Command = (
    Help | ListMigrations | Status | Audit | Report | PolicyShow | PolicySet | PolicyReset | Migrate
)


def parse_command(text: str) -> Command:
    """Parse the text after ``/migrate``; raise ``CommandError`` for anything malformed."""
    words = text.split()
    if not words or words[0].lower() == "help":
        return Help()
    verb, rest = words[0].lower(), words[1:]
    if verb == "list":
        _no_more(rest, "list")
        return ListMigrations()
    if verb == "report":
        _no_more(rest, "report")
        return Report()
    if verb == "status":
        if len(rest) > 1:
            raise CommandError("`status` takes at most one migration id")
        if rest and not MIGRATION_ID.match(rest[0]):
            raise CommandError(f"`{rest[0]}` is not a migration id (they look like mig-1a2b3c4d)")
        return Status(rest[0] if rest else None)
    if verb == "audit":
        wants_csv = len(rest) == 2 and rest[1].lower() == "csv"
        if (
            len(rest) not in (1, 2)
            or not MIGRATION_ID.match(rest[0])
            or (len(rest) == 2 and not wants_csv)
        ):
            raise CommandError(
                "`audit` takes one migration id (they look like mig-1a2b3c4d), "
                "and `csv` for the trail as a file"
            )
        return Audit(rest[0], csv=wants_csv)
    if verb == "policy":
        return _policy(rest)
    target = words[0]
    options = _options(rest, target)
    if target.lower().startswith("i-"):
        # The domain's pattern, imported here: bot.domain.facts loads pydantic, which
        # only the commands that reach the services need.
        from bot.domain.facts import INSTANCE_ID

        if not INSTANCE_ID.match(target):
            raise CommandError(
                f"`{target}` is not a valid EC2 instance id "
                "(i- followed by 8 or 17 lowercase hex digits)"
            )
        return Migrate(target, **options)
    if not NAME.match(target):
        raise CommandError(
            f"`{target}` is not an instance id, Name tag or load balancer name "
            "(letters, digits, '.', '_' and '-')"
        )
    return Migrate(target, **options)


#: ``/migrate policy`` settings; the values are checked by the policy itself.
POLICY_SETTINGS = (
    "requesters",
    "approvers",
    "cutover",
    "rollback",
    "cleanup",
    "decommission",
    "break-glass-rollback",
    "two-approvals",
)


def _policy(rest: list[str]) -> PolicyShow | PolicySet | PolicyReset:
    if not rest or rest == ["show"]:
        return PolicyShow()
    if rest == ["reset"]:
        return PolicyReset()
    setting = rest[0].lower()
    if setting not in POLICY_SETTINGS:
        raise CommandError(
            f"`{rest[0]}` is not a policy setting: use `show`, `reset` or one of "
            + ", ".join(f"`{s}`" for s in POLICY_SETTINGS)
        )
    if len(rest) < 2:
        raise CommandError(f"`policy {setting}` needs a value")
    return PolicySet(setting, " ".join(rest[1:]))


def _options(rest: list[str], target: str) -> dict[str, str]:
    """``--image <uri>`` or ``--source s3://bucket/key.tar.gz`` after the target (one of them)."""
    options: dict[str, str] = {}
    words = [
        part for word in rest for part in (word.split("=", 1) if word.startswith("--") else [word])
    ]
    while words:
        flag = words.pop(0)
        if flag not in ("--image", "--source"):
            raise CommandError(
                f"unexpected words after `{target}`: {flag} {' '.join(words)}".strip()
            )
        if not words:
            raise CommandError(f"`{flag}` needs a value")
        value = words.pop(0)
        if flag == "--image" and not IMAGE.match(value):
            raise CommandError(
                f"`{value}` is not a pinned image reference: give a tag or a digest, e.g. "
                "`123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.4.2`"
            )
        if flag == "--source" and not SOURCE.match(value):
            raise CommandError(
                f"`{value}` is not an S3 bundle: give `s3://<bucket>/uploads/<name>.tar.gz`"
            )
        options[flag[2:]] = value
    if len(options) > 1:
        raise CommandError("give either `--image` or `--source`, not both")
    return options


def _no_more(rest: list[str], what: str) -> None:
    if rest:
        raise CommandError(f"unexpected words after `{what}`: {' '.join(rest)}")
