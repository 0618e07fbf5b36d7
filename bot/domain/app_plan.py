"""Completing a plan with the app itself: captured, given as a bundle, or given as an image (pure).

Discovery's plan (``planning.make_plan``) knows the instance and its network; this module adds
what the image is made of: the process found on the instance and its bundle (``with_capture``),
a bundle the user uploaded (``with_bundle``), an existing image (``with_image``), or why none of
these is possible yet (``without_capture``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

from bot.domain import access
from bot.domain.capture import WAY_OUT, CapturedProcess
from bot.domain.plan import Plan
from bot.domain.runtimes import Bundle, containerize_problem, detect, rewrite_command
from bot.domain.runtimes.model import Detection

# Set by the login, the shell or systemd for every process: not the app's configuration.
NOISE = frozenset(
    {
        "PATH",
        "HOME",
        "HOSTNAME",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "USER",
        "LOGNAME",
        "SHELL",
        "TERM",
        "MAIL",
        "LS_COLORS",
        "_",
        "INVOCATION_ID",
        "JOURNAL_STREAM",
        "SYSTEMD_EXEC_PID",
        "MANAGERPID",
        "NOTIFY_SOCKET",
        "LISTEN_PID",
        "LISTEN_FDS",
        "SSH_CLIENT",
        "SSH_CONNECTION",
        "SSH_TTY",
        "SUDO_USER",
        "SUDO_UID",
        "SUDO_GID",
        "SUDO_COMMAND",
    }
)
_NOISE_PREFIXES = ("XDG_", "LC_", "AWS_EXECUTION_ENV")
_SECRET_NAME = re.compile(
    r"PASS(WORD|WD)?|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE|CREDENTIAL|AUTH|SIGNING|"
    r"(^|_)KEY$|(^|_)DSN$|SESSION|COOKIE|SALT",
    re.IGNORECASE,
)
_SECRET_VALUES = (
    re.compile(r"^(AKIA|ASIA)[0-9A-Z]{16}$"),  # an AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@"),  # a URL with user:password@
    re.compile(r"^(xox[abposr]-|ghp_|gho_|github_pat_|glpat-|sk_live_|sk-)[A-Za-z0-9_-]{10,}"),
    re.compile(r"^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\."),  # a JWT
)
_TOKEN_LIKE = re.compile(r"^[A-Za-z0-9+/=_-]{32,}$")


def looks_secret(name: str, value: str) -> bool:
    """Whether a variable's name or value looks like a secret (then it never lands in a plan)."""
    if _SECRET_NAME.search(name) or any(p.search(value) for p in _SECRET_VALUES):
        return True
    # A long token of letters and digits mixed (an API key, a random password).
    return bool(
        _TOKEN_LIKE.match(value)
        and re.search(r"\d", value)
        and re.search(r"[a-z]", value)
        and re.search(r"[A-Z]", value)
    )


def split_environment(environment: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Return (plain, secret) variables of the app, without what every process inherits."""
    plain: dict[str, str] = {}
    secret: dict[str, str] = {}
    for name, value in sorted(environment.items()):
        if name in NOISE or name.startswith(_NOISE_PREFIXES):
            continue
        (secret if looks_secret(name, value) else plain)[name] = value
    return plain, secret


def environment_from_user_data(user_data: str) -> dict[str, str]:
    """Variables a user-data script gives the app: systemd ``Environment=`` lines and ``export``s.

    Only for an app that cannot be captured: what the script says is not what the running
    process has, so the plan says where they came from.
    """
    found: dict[str, str] = {}
    for raw in user_data.splitlines():
        line = raw.strip()
        if line.startswith("Environment="):
            words = line[len("Environment=") :]
        elif line.startswith("export "):
            words = line[len("export ") :]
        else:
            continue
        try:
            pairs = shlex.split(words)
        except ValueError:
            continue
        for pair in pairs:
            name, sep, value = pair.partition("=")
            if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                found[name] = value
    return found


def _uncaptured_environment(plan: Plan, user_data: str) -> tuple[dict[str, str], list[str]]:
    """Plain variables from user data for the plan, and warnings (secret ones are not carried)."""
    plain, secret = split_environment(environment_from_user_data(user_data))
    warnings = []
    if plain:
        warnings.append(
            f"The environment ({', '.join(sorted(plain))}) was read from the instance's user "
            "data, not from the running app; check it before approving."
        )
    if secret:
        warnings.append(
            f"The user data sets {', '.join(sorted(secret))}, which look secret and are not "
            "carried over; give them to the service yourself."
        )
    return plain, warnings


def _bundle_warnings(detection: Detection) -> list[str]:
    return [f"Runtime: {w}" for w in detection.warnings]


def _with_way_out(problem: str | None) -> str | None:
    if problem is None or "--image" in problem:
        return problem
    return f"{problem} {WAY_OUT}"


def with_capture(
    plan: Plan,
    process: CapturedProcess,
    bundle: Bundle,
    environment: Mapping[str, str],
    *,
    bundle_key: str,
) -> tuple[Plan, dict[str, str]]:
    """Return the plan completed from the capture, and the secret variables to store apart."""
    detection = detect(bundle, process.command)
    command = rewrite_command(process.command, process.working_directory)
    plain, secret = split_environment(environment)
    warnings = [*plan.warnings, *_bundle_warnings(detection), *command.warnings]
    if process.user == "root":
        warnings.append(
            "The app runs as root on the instance; the image runs it as a non-root user. "
            "Check that it writes only inside its own folder."
        )
    if plan.port < 1024:
        warnings.append(
            f"The app listens on port {plan.port}, below 1024, which a non-root user cannot "
            "bind; configure it to listen on a higher port before approving."
        )
    problem = containerize_problem(detection, process.command)
    return (
        plan.model_copy(
            update={
                "source": "capture",
                "bundle_key": bundle_key,
                "app": process,
                "detection": detection,
                "runtime": detection.runtime or "unknown",
                "start_command": command.argv,
                "environment": plain,
                "data": access.merge(plan.data, plain),
                "secret_names": sorted(secret),
                "warnings": warnings,
                "blocker": _with_way_out(problem),
            }
        ),
        secret,
    )


def bundle_start_command(bundle: Bundle) -> list[str]:
    """The start command a bundle names: a Procfile's ``web:`` line, else ``npm start``."""
    for line in bundle.text("Procfile").splitlines():
        kind, _, command = line.partition(":")
        if kind.strip() == "web" and command.strip():
            return shlex.split(command.strip())
    scripts = bundle.json("package.json").get("scripts")
    if isinstance(scripts, dict) and "start" in scripts:
        return ["npm", "start"]
    return []


def with_bundle(plan: Plan, bundle: Bundle, *, bundle_key: str, user_data: str = "") -> Plan:
    """Return the plan built from a bundle the user uploaded (``--source``)."""
    environment, notes = _uncaptured_environment(plan, user_data)
    command = bundle_start_command(bundle)
    detection = detect(bundle, command)
    problem = containerize_problem(detection, command)
    if problem and not command and detection.supported:
        problem = (
            "The bundle names no start command: add a Procfile with a `web: <command>` line "
            "(or a package.json start script) and upload it again."
        )
    return plan.model_copy(
        update={
            "source": "bundle",
            "bundle_key": bundle_key,
            "detection": detection,
            "runtime": detection.runtime or "unknown",
            "start_command": command,
            "environment": environment,
            "data": access.merge(plan.data, environment),
            "warnings": [*plan.warnings, *_bundle_warnings(detection), *notes],
            "blocker": _with_way_out(problem),
        }
    )


def with_image(plan: Plan, image_uri: str, user_data: str = "") -> Plan:
    """Return the plan that deploys an existing image (``--image``): nothing is built."""
    environment, notes = _uncaptured_environment(plan, user_data)
    return plan.model_copy(
        update={
            "source": "image",
            "image_uri": image_uri,
            "runtime": "image",
            "start_command": [],
            "environment": environment,
            "data": access.merge(plan.data, environment),
            "warnings": [
                *notes,
                *plan.warnings,
                f"The image {image_uri} is deployed as it is: it must listen on port "
                f"{plan.port}, answer {plan.health_check_path}, and be built for "
                f"{plan.cpu_architecture}.",
            ],
        }
    )


def without_capture(plan: Plan, why: str) -> Plan:
    """Return the plan for an instance SSM cannot reach: it says what is missing and the way out."""
    return plan.model_copy(
        update={
            "ssm": why,
            "runtime": "unknown",
            "blocker": f"The app cannot be captured: {why} {WAY_OUT}",
        }
    )


def capture_refused(plan: Plan, reason: str) -> Plan:
    """Return the plan whose capture ran but produced no bundle (``reason`` has the way out)."""
    return plan.model_copy(update={"runtime": "unknown", "blocker": reason})
