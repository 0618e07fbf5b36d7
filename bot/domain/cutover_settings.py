"""A migration's own cutover settings as a person types them on the plan's Edit modal (pure).

The steps are the weights on ECS, in percent, that the cutover takes one after another
(``10, 50, 100`` by default); each step bakes for the bake time before the next one is
offered without an override. ``parse`` reads both fields at once and reports every field
that is wrong, so the modal can say so beside each field and nothing typed is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_STEPS = 5
MAX_BAKE_MINUTES = 1440  # a day, as the stack's BakeMinutes parameter allows

#: Between two steps: commas, semicolons, spaces or arrows; a ``%`` after a number is allowed.
_SEPARATORS = re.compile(r"[,;\s]+|→|->")
_NUMBER = re.compile(r"^\d{1,4}$")


class CutoverSettingsError(ValueError):
    """Fields of the Edit modal that are not valid: ``errors`` maps ``steps`` and/or
    ``bake_minutes`` to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {why}" for field, why in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class CutoverSettings:
    """Valid settings: the steps (rising, ending at 100) and the bake time (None: the
    stack's default, ``BakeMinutes``)."""

    steps: tuple[int, ...]
    bake_minutes: int | None


def _shown(token: str) -> str:
    """A token of the person's input, short enough to quote in an error."""
    return token if len(token) <= 12 else token[:11] + "…"


def parse_steps(text: str) -> tuple[int, ...]:
    """``10, 50, 100`` → ``(10, 50, 100)``: whole percents from 1 to 100, strictly rising,
    ending at 100, at most ``MAX_STEPS``; raises ``ValueError`` saying what is wrong."""
    tokens = [t.removesuffix("%").strip() for t in _SEPARATORS.split(text.strip()) if t.strip()]
    tokens = [t for t in tokens if t]
    if not tokens:
        raise ValueError("Give at least one step, ending at 100 (for example 10, 50, 100).")
    steps: list[int] = []
    for token in tokens:
        if not _NUMBER.match(token):
            raise ValueError(f"“{_shown(token)}” is not a whole number of percent.")
        step = int(token)
        if not 1 <= step <= 100:
            raise ValueError(f"Each step is a percent from 1 to 100; {step} is not.")
        if steps and step <= steps[-1]:
            raise ValueError(f"Steps must rise: {step} comes after {steps[-1]}.")
        steps.append(step)
    if len(steps) > MAX_STEPS:
        raise ValueError(f"At most {MAX_STEPS} steps; {len(steps)} were given.")
    if steps[-1] != 100:
        raise ValueError("The last step must be 100 (all traffic on ECS).")
    return tuple(steps)


def parse_bake_minutes(text: str | None) -> int | None:
    """``"15"`` → 15 (0: no bake, at most ``MAX_BAKE_MINUTES``); empty → None, the stack's
    default; raises ``ValueError`` saying what is wrong."""
    value = (text or "").strip()
    if not value:
        return None
    if not _NUMBER.match(value) or int(value) > MAX_BAKE_MINUTES:
        raise ValueError(
            f"Give whole minutes from 0 (no bake) to {MAX_BAKE_MINUTES} (a day), or leave it "
            "empty for the stack's default."
        )
    return int(value)


def parse(steps_text: str | None, bake_text: str | None) -> CutoverSettings:
    """Both fields of the Edit modal; raises ``CutoverSettingsError`` naming each bad field."""
    errors: dict[str, str] = {}
    steps: tuple[int, ...] = ()
    bake: int | None = None
    try:
        steps = parse_steps(steps_text or "")
    except ValueError as error:
        errors["steps"] = str(error)
    try:
        bake = parse_bake_minutes(bake_text)
    except ValueError as error:
        errors["bake_minutes"] = str(error)
    if errors:
        raise CutoverSettingsError(errors)
    return CutoverSettings(steps=steps, bake_minutes=bake)


def steps_text(steps: tuple[int, ...]) -> str:
    """The steps as the modal shows them: ``10, 50, 100``."""
    return ", ".join(str(step) for step in steps)


def check(steps: tuple[int, ...], bake_minutes: int | None) -> None:
    """Raise ``CutoverSettingsError`` unless these are settings ``parse`` would give."""
    parse(steps_text(steps), None if bake_minutes is None else str(bake_minutes))
