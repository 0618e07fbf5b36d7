"""Parsing /migrate text."""

from __future__ import annotations

import pytest

from bot.slack.commands import CommandError, Help, ListMigrations, Migrate, Status, parse_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("help", Help()),
        ("list", ListMigrations()),
        ("status", Status(None)),
        ("status mig-0a1b2c3d", Status("mig-0a1b2c3d")),
        ("i-0abc1234", Migrate("i-0abc1234")),
        ("i-0abc1234def567890", Migrate("i-0abc1234def567890")),
        ("  secure-blog  ", Migrate("secure-blog")),
    ],
)
def test_valid_commands(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("i-xyz", "not a valid EC2 instance id"),
        ("i-0ABC1234", "not a valid EC2 instance id"),
        ("secure blog", "unexpected words"),
        ("status nope", "not a migration id"),
        ("list all", "unexpected words"),
        ("<script>", "not an instance id"),
    ],
)
def test_malformed_commands_say_why(text: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parse_command(text)


def test_audit_takes_one_migration_id() -> None:
    from bot.slack.commands import Audit

    assert parse_command("audit mig-1a2b3c4d") == Audit("mig-1a2b3c4d")
    for text in ("audit", "audit mig-1", "audit mig-1a2b3c4d mig-5e6f7a8b"):
        with pytest.raises(CommandError, match="`audit` takes one migration id"):
            parse_command(text)
