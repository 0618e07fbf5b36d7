"""``migrate-bot plan``: a plan from a real account, read-only, without the bot deployed.

The composition root of the command (as ``bootstrap`` is the Lambdas'): it builds discovery
on the caller's own credentials, runs ``plan_report.plan_for`` and prints the plan card as
text (``slack.plan_text``) or the ``Plan`` as JSON. Discovery only calls Describe, List and
Get operations. Expected failures print one line on stderr and return 1, with no traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import TextIO

from bot.domain.facts import INSTANCE_ID
from bot.domain.sizing import UnknownInstanceTypeError
from bot.ports import AwsRefusedError, DiscoveryError, InstanceNotFoundError
from bot.services.plan_report import plan_for
from bot.slack import plan_text

# Something typed as an instance id (i- and hex digits) but of neither length EC2 uses.
_ID_LIKE = re.compile(r"^i-[0-9a-fA-F]*$")


def target_argument(value: str) -> str:
    """An argparse ``type``: the target, refused when it is a malformed instance id or blank."""
    target = value.strip()
    if not target:
        raise argparse.ArgumentTypeError("give an instance id, a Name tag or a load balancer name")
    if _ID_LIKE.match(target) and not INSTANCE_ID.match(target):
        raise argparse.ArgumentTypeError(
            f"{plan_text.plain(target)!r} is not an instance id "
            "(i- followed by 8 or 17 lowercase hex digits)"
        )
    return target


def run_plan(
    target: str,
    *,
    region: str | None = None,
    profile: str | None = None,
    hosted_zone_id: str | None = None,
    as_json: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the plan for ``target``; return the exit status (0, or 1 when it cannot)."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    from bot.adapters.session_discovery import session_discovery

    out = out or sys.stdout
    err = err or sys.stderr
    try:
        plan = plan_for(target, session_discovery(profile, region, hosted_zone_id))
    except InstanceNotFoundError as error:
        message = plan_text.not_found_text(str(error))
    except AwsRefusedError as error:
        message = plan_text.refused_text(str(error))
    except (DiscoveryError, UnknownInstanceTypeError) as error:
        message = plan_text.cannot_plan_text(str(error))
    except NoCredentialsError:
        message = plan_text.no_credentials_text(profile)
    except NoRegionError:
        message = plan_text.no_region_text()
    except (ClientError, BotoCoreError) as error:  # expired token, unreachable endpoint, ...
        message = plan_text.aws_error_text(str(error))
    else:
        print(
            plan.model_dump_json(indent=2) if as_json else plan_text.render_plan_text(plan),
            file=out,
        )
        return 0
    print(message, file=err)
    return 1
