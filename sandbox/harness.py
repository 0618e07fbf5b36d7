"""The whole system on one machine: AWS stand-in, bot stack, legacy account, Slack stand-in.

``Sandbox`` wires the pieces and plays the user: it sends correctly signed slash
commands and button clicks to the real ingress handler, and lets the local
Lambda runtime deliver every event the bus routes until the system is quiet.
Works against moto in-process (``mock_aws``) or in server mode (endpoint URL).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import time_machine

from bot import bootstrap
from bot.domain.migration import Migration
from bot.domain.state import Stage
from sandbox import (
    codebuild,
    dataplane,
    express,
    hosts,
    images,
    instances,
    metric_data,
    retirement,
    route53,
    scheduler,
    ssm,
    tasks,
)
from sandbox.acm import sandbox_ca
from sandbox.acm_validation import AcmValidator
from sandbox.aws_bus import default_bus_emitter, deliver_full_envelopes
from sandbox.cloud import BotStack, LocalSlack
from sandbox.lambda_runtime import LambdaRuntime, LocalContext
from sandbox.legacy import LegacyApp, seed_legacy
from sandbox.live_traffic import LiveTraffic, ScaledClock
from sandbox.load_balancers import Answer, Balancers, fetch
from sandbox.orders import seed_orders
from sandbox.request_log import RequestLog
from sandbox.slack_client import (
    APP_ID,
    BOT_USER_ID,
    TEAM_ID,
    app_mention,
    block_action,
    slash_command,
)
from sandbox.slack_standin import SlackStandIn
from sandbox.template import Template

REGION = "us-east-1"
CHANNEL = "C0PLATFORM"
BOT_TOKEN = "xoxb-sandbox-token"  # a stand-in value: the local Slack accepts only this
SIGNING_SECRET = "sandbox-signing-secret"  # a stand-in value for local request signing
#: Values for the template's required parameters, as ``sam deploy --parameter-overrides``
#: gives them: the installation the stand-in's signed requests name.
PARAMETERS = {
    "SlackTeamId": TEAM_ID,
    "SlackAppId": APP_ID,
    "Approvers": "S0APPROVERS",
    "PolicyAdmins": "U0CAROL",
}


def with_parameters(template: Template, values: dict[str, str]) -> Template:
    """``template`` with ``values`` for its parameters (each must be declared)."""
    for name, value in values.items():
        template.parameters[name] = {**template.parameters[name], "Default": value}
    return template


#: Each seeded app's health path (its target group's).
HEALTH_PATHS = {"secure-blog": "/health", "orders": "/healthz", "inventory": "/status"}


def _load_balancer_names(balancers: Balancers) -> hosts.Lookup:
    """Resolve load balancer and Express endpoint names to their stand-ins (others: None)."""

    def lookup(name: str, port: int) -> int | None:
        if not name.endswith((".elb.amazonaws.com", ".on.aws")):
            return None  # not a load balancer's name (and no AWS call to find out)
        return balancers.port_for(name, port)

    return lookup


class ButtonNotOfferedError(LookupError):
    """The card does not offer the button a script tried to click."""


@dataclass
class Click:
    """A button a person clicked, for the transcript."""

    user: str
    label: str
    answer: str | None


@dataclass
class Sandbox:
    """Everything the scripted and interactive runs drive."""

    endpoint_url: str | None = None
    time_scale: float = 0.0
    architecture: str = "x86_64"
    #: How the legacy secure-blog is served: "https" (HTTPS:443, HTTP:80 redirecting) or "http".
    legacy_served_over: str = "https"
    #: The legacy HTTPS listener's certificate: "acm" (imported into ACM) or "iam" (an IAM
    #: server certificate, which the bot does not reuse: it requests one from ACM).
    legacy_certificate: str = "acm"
    slack: SlackStandIn = field(default_factory=SlackStandIn)
    clicks: list[Click] = field(default_factory=list)
    service_events: list[dict[str, Any]] = field(default_factory=list)
    legacy: LegacyApp | None = None
    runtime: LambdaRuntime | None = None
    artifacts_bucket: str = ""
    apps: dict[str, LegacyApp] = field(default_factory=dict)
    #: The ALB stand-ins: every listener ELBv2 holds, legacy and Express alike, on loopback.
    balancers: Balancers | None = None
    #: Users' traffic to the apps' names, and CloudWatch computed from it.
    traffic: LiveTraffic | None = None
    _saved_env: dict[str, str | None] = field(default_factory=dict)
    _travels: list[Any] = field(default_factory=list)
    _validator: AcmValidator | None = None

    def client(self, service: str, **options: Any) -> Any:
        """A boto3 client for the AWS stand-in (``options`` as ``boto3.client`` takes them)."""
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint_url, **options)

    def start(self) -> Sandbox:
        """Start the Slack stand-in, provision the bot and the legacy account."""
        deliver_full_envelopes()
        api_url = self.slack.start()
        account = self.client("sts").get_caller_identity()["Account"]
        template = with_parameters(Template.load(), PARAMETERS)
        stack = BotStack(template, self.client, account)
        stack.provision()
        self.runtime = LambdaRuntime(
            template,
            self.client("sqs"),
            self.client("events"),
            account,
            REGION,
            queue_urls=stack.queue_urls,
        )
        self.runtime.deploy_rules()
        self.artifacts_bucket = stack.physical["ArtifactsBucket"]
        env = stack.environment(LocalSlack(api_url, BOT_TOKEN, SIGNING_SECRET))
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        env.setdefault("AWS_DEFAULT_REGION", REGION)
        self._set_env(env)
        deliver = default_bus_emitter()

        def emit(event: dict[str, Any]) -> None:
            self.service_events.append(event)
            deliver(event)

        express.reset()
        express.install(emit, time_scale=self.time_scale)
        codebuild.install(emit, delay_seconds=self.time_scale * 3)
        route53.install(time_scale=self.time_scale)
        scheduler.reset()
        scheduler.install(time_scale=self.time_scale)
        ssm.reset()
        ssm.install(emit, delay_seconds=self.time_scale * 4)
        self._validator = AcmValidator(self.client, emit, account, REGION, self.time_scale).start()
        instances.forget()
        images.forget()
        express.set_runner(dataplane.run_task, dataplane.stop_task)
        retirement.install(self._instance_stopped, self._instance_started, self.time_scale)
        self.legacy = seed_legacy(
            self.client,
            architecture=self.architecture,
            served_over=self.legacy_served_over,
            certificate=self.legacy_certificate,
        )
        orders, inventory = seed_orders(self.client, hosted_zone_id=self.legacy.hosted_zone_id)
        self.apps = {app.name: app for app in (self.legacy, orders, inventory)}
        for app in self.apps.values():
            dataplane.start_legacy(
                app.instance_id, instances.INSTANCES[app.instance_id], HEALTH_PATHS[app.name]
            )
        clock = ScaledClock(self.time_scale)
        metric_data.install(clock)  # GetMetricData's percentiles, on CloudWatch's clock
        log = RequestLog()
        self.balancers = Balancers(
            self.client("elbv2"),
            self.client("acm"),
            log=log,
            clock=clock.now,
            iam=self.client("iam"),
        )
        self.balancers.sync()
        # The bot's probes connect to load balancer names as on AWS: they reach the stand-ins,
        # and verify the stand-ins' certificates against the sandbox's CA.
        hosts.install(_load_balancer_names(self.balancers))
        hosts.trust(sandbox_ca().certificate_pem)
        self.traffic = LiveTraffic(self.client, self.balancers, log, clock, account, REGION)
        self.traffic.start_cloudwatch()
        bootstrap.reset()
        return self

    def stop(self) -> None:
        """Stop the Slack stand-in and restore the environment (and the clock)."""
        while self._travels:
            self._travels.pop().stop()
        self.slack.stop()
        if self._validator is not None:
            self._validator.stop()
        if self.traffic is not None:
            self.traffic.stop()
        hosts.uninstall()
        if self.balancers is not None:
            self.balancers.stop()
        tasks.stop_all()
        express.set_runner(None)
        instances.forget()
        images.forget()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        bootstrap.reset()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def pass_time(self, hours: float) -> None:
        """Let ``hours`` pass at once for the whole process: the bot, moto and the Slack
        stand-in all read the moved clock (time-machine), and it keeps ticking from there.
        Undone by ``stop()``."""
        travel = time_machine.travel(datetime.now(UTC) + timedelta(hours=hours), tick=True)
        travel.start()
        self._travels.append(travel)

    def users(self, app: str | None = None, *, rate: float = 25.0) -> None:
        """Real users of ``app`` (default secure-blog) for the rest of the run: steady GETs to
        its name and health path, over HTTPS when its listener is HTTPS. Returns once the first
        request has been answered, so even a run that ends at once has had users."""
        assert self.traffic is not None and self.legacy is not None, "start() the sandbox first"
        legacy = self.apps[app or self.legacy.name]
        scheme = "https" if legacy.certificate_arn else "http"
        paths = ("/", HEALTH_PATHS[legacy.name])
        generator = self.traffic.send_to(legacy.record_name, scheme, paths, rate)
        if not generator.wait_for_first():
            raise TimeoutError(f"{legacy.record_name}: the users' first request got no answer")

    def break_express_app(self) -> None:
        """Make the migration's Express tasks answer 500 on every page (their health check
        still passes): the app's fault switch, a marker file in the task's working folder."""
        service = self.migration().service_arn
        assert service, "a deployed service"
        running = tasks.RUNNING.get(service)
        assert running is not None and running.cwd is not None, f"no task runs for {service}"
        (running.cwd / "FAULT-5xx").write_text("on\n")

    def wait_until(
        self,
        done: Callable[[Migration], bool],
        what: str,
        timeout: float = 120.0,
        *,
        settle: bool = True,
    ) -> Migration:
        """Deliver events until ``done(migration)`` holds (``what`` names it on a timeout).
        ``settle=False`` looks after each single delivery round instead of once the bus is
        quiet, to catch a state the run passes through (a build under way)."""
        deadline = time.monotonic() + timeout
        while True:
            if settle:
                self.settle()
            else:
                assert self.runtime is not None, "start() the sandbox first"
                self.runtime.pump()
            migration = self.migration()
            if done(migration):
                return migration
            if time.monotonic() > deadline:
                raise TimeoutError(f"{migration.migration_id}: {what} did not happen")
            time.sleep(self._poll_seconds())

    def _instance_stopped(self, instance_id: str) -> None:
        """A seeded instance is stopping or terminating: its app stops serving."""
        tasks.stop(f"legacy/{instance_id}")

    def _instance_started(self, instance_id: str) -> None:
        """A seeded instance is booting: its app starts again (its systemd unit)."""
        for app in self.apps.values():
            if app.instance_id == instance_id:
                instance = instances.INSTANCES[instance_id]
                dataplane.start_legacy(instance_id, instance, HEALTH_PATHS[app.name])

    def stop_ssm_agent(self) -> None:
        """Make the legacy instance an unmanaged node (its SSM agent stopped)."""
        assert self.legacy is not None, "start() the sandbox first"
        instances.INSTANCES[self.legacy.instance_id].ssm_agent = False

    def start_from_release_link(self) -> None:
        """Deploy the legacy app as release tools do: its folder's ``app.js`` is a symlink to
        ``../releases/1.4.2/server.js``, outside the folder, and the unit runs ``node app.js``.
        The legacy app is restarted that way (it still serves)."""
        assert self.legacy is not None, "start() the sandbox first"
        instance = instances.INSTANCES[self.legacy.instance_id]
        assert instance.app is not None
        folder = instance.app.folder
        release = folder.parent / "releases" / "1.4.2"
        release.mkdir(parents=True)
        (folder / "server.js").rename(release / "server.js")
        (folder / "app.js").symlink_to(Path("..") / "releases" / "1.4.2" / "server.js")
        instance.app.command = ["/usr/bin/node", "app.js"]
        dataplane.start_legacy(self.legacy.instance_id, instance, "/health")

    def push_image(self, uri: str, app: str, dockerfile: str) -> None:
        """Build ``sandbox/apps/<app>`` with ``dockerfile`` as its team would, and push it as ``uri``."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path in sorted((instances.APPS / app).rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(instances.APPS / app).as_posix())
            archive.writestr("Dockerfile", dockerfile)
        images.build(uri, buffer.getvalue())

    def upload_bundle(self, app: str = "secure-blog") -> str:
        """Upload ``sandbox/apps/<app>`` as a user would for ``--source``; return its s3:// URI.

        Packed with GNU tar from the app's folder, as ``tar -C <folder> -czf - .`` would.
        """
        key = f"uploads/{app}.tar.gz"
        packed = subprocess.run(
            ["tar", "-C", str(instances.APPS / app), "-czf", "-", "."],
            capture_output=True,
            check=True,
        ).stdout
        self.client("s3").put_object(Bucket=self.artifacts_bucket, Key=key, Body=packed)
        return f"s3://{self.artifacts_bucket}/{key}"

    def fetch_both(self, path: str) -> tuple[Answer, Answer]:
        """GET ``path`` as a user would from each side: the app's name through the legacy ALB's
        listener that routes it (HTTPS with its SNI when that listener is HTTPS), and the
        Express endpoint through the Express ALB's HTTPS:443 listener (its Host and SNI)."""
        assert self.balancers is not None, "start() the sandbox first"
        migration = self.migration()
        plan = migration.plan
        assert plan and plan.load_balancer_arn and plan.record_name, "a plan with a name to move"
        assert plan.listener_arn and migration.service_arn, "a legacy listener and a service"
        trusted = sandbox_ca().client_context()
        (listener,) = self.client("elbv2").describe_listeners(ListenerArns=[plan.listener_arn])[
            "Listeners"
        ]
        legacy = fetch(
            self.balancers.port(plan.load_balancer_arn, listener["Port"]),
            plan.record_name.rstrip("."),
            path,
            trusted if listener["Protocol"] == "HTTPS" else None,
        )
        endpoint = (migration.endpoint or "").removeprefix("https://")
        ecs = fetch(
            self.balancers.port(self.express_load_balancer(migration.service_arn), 443),
            endpoint,
            path,
            trusted,
        )
        return legacy, ecs

    def express_load_balancer(self, service_arn: str) -> str:
        """The ARN of the ALB serving an Express service, as DescribeServiceRevisions says."""
        ecs = self.client("ecs")
        service = ecs.describe_express_gateway_service(serviceArn=service_arn)["service"]
        revision = service["activeConfigurations"][0]["serviceRevisionArn"]
        (described,) = ecs.describe_service_revisions(serviceRevisionArns=[revision])[
            "serviceRevisions"
        ]
        return str(described["ecsManagedResources"]["ingressPaths"][0]["loadBalancer"]["arn"])

    # the user's side -------------------------------------------------------------------
    def slash(
        self, text: str, user: str = "U0ALICE", channel: str = CHANNEL, team_id: str = TEAM_ID
    ) -> dict[str, Any]:
        """Send ``/migrate <text>`` as Slack would (signed for ``team_id``); return the answer."""
        event = slash_command(
            "/migrate",
            text,
            user_id=user,
            channel_id=channel,
            team_id=team_id,
            response_url=self.slack.new_response_url(channel, user_id=user),
            signing_secret=SIGNING_SECRET,
        )
        return self._ingress(event)

    def mention(
        self, text: str = "status", user: str = "U0BOB", *, in_thread: bool = True
    ) -> dict[str, Any]:
        """``user`` posts ``@migrate-bot <text>``, as a reply under the newest card (or in the
        channel), and Slack sends it to the app as a signed ``app_mention``; the answer."""
        thread = self.card()["ts"] if in_thread else None
        answer = self.post(f"@migrate-bot {text}", user, thread_ts=thread)
        assert answer is not None  # it mentions the bot
        return answer

    def post(self, text: str, user: str, *, thread_ts: str | None = None) -> dict[str, Any] | None:
        """``user`` posts ``text`` in the channel or in the thread ``thread_ts``; where it
        names ``@migrate-bot`` (written ``<@bot user id>``, as Slack's client does), Slack
        sends the app a signed ``app_mention`` and the ingress's answer is returned."""
        written = text.replace("@migrate-bot", f"<@{BOT_USER_ID}>")
        posted = self.slack.user_posts(CHANNEL, user, written, thread_ts)
        if f"<@{BOT_USER_ID}>" not in written:
            return None
        event = app_mention(
            written,
            user_id=user,
            channel_id=CHANNEL,
            ts=posted.ts,
            thread_ts=thread_ts,
            signing_secret=SIGNING_SECRET,
        )
        return self._ingress(event)

    def card(self) -> dict[str, Any]:
        """The newest status card in the channel, as Slack would show it."""
        try:
            roots = [m for m in self.slack.channel(CHANNEL).messages if m.user == BOT_USER_ID]
        except KeyError:
            roots = []
        if not roots:
            raise ButtonNotOfferedError("no status card has been posted")
        return roots[-1].as_slack()

    def buttons(self) -> dict[str, dict[str, Any]]:
        """The buttons the newest card offers, by action id."""
        return {
            element["action_id"]: element
            for block in self.card().get("blocks", [])
            if block.get("type") == "actions"
            for element in block["elements"]
        }

    def click(self, action_id: str, user: str = "U0BOB") -> dict[str, Any]:
        """Click a button on the newest card as ``user`` (confirm dialogs answered yes)."""
        buttons = self.buttons()
        if action_id not in buttons:
            raise ButtonNotOfferedError(
                f"the card offers {sorted(buttons) or 'no buttons'}, not {action_id!r}"
            )
        button = buttons[action_id]
        card = self.card()
        responses = len(self.slack.responses)
        event = block_action(
            action_id,
            button["value"],
            user_id=user,
            channel_id=CHANNEL,
            message_ts=card["ts"],
            message=card,
            response_url=self.slack.new_response_url(CHANNEL, user_id=user, message_ts=card["ts"]),
            signing_secret=SIGNING_SECRET,
        )
        result = self._ingress(event)
        answers = [r.payload.get("text", "") for r in self.slack.responses[responses:]]
        self.clicks.append(Click(user, button["text"]["text"], answers[-1] if answers else None))
        return result

    def redeliver(self, events: list[dict[str, Any]]) -> None:
        """Put AWS service events on the default bus again (at-least-once delivery)."""
        deliver = default_bus_emitter()
        for event in events:
            deliver(event)

    def settle(self, idle: Callable[[], bool] = lambda: True) -> int:
        """Deliver events until the bus is quiet; return how many were delivered. At time
        scale 0 the one-time schedules then run, earliest first, each followed by what it
        sets off (``scheduler.run_next``)."""
        assert self.runtime is not None, "start() the sandbox first"
        return self.runtime.run_until_idle(idle=lambda: idle() and not scheduler.run_next())

    def migration(self) -> Migration:
        """The channel's newest migration, as stored."""
        found = bootstrap.core().store.list_by_channel(CHANNEL)
        if not found:
            raise LookupError("no migration in the channel")
        return max(found, key=lambda m: m.created_at)

    def wait_for(self, *stages: Stage, timeout: float = 60.0) -> Migration:
        """Deliver events (waiting for simulated AWS delays) until the migration reaches a stage."""
        reached = self.wait_until(
            lambda m: m.stage in stages and m.requested_weight is None,
            "reaching " + " or ".join(s.value for s in stages),
            timeout,
        )
        self.settle()
        return reached

    def _poll_seconds(self) -> float:
        """How long a wait sleeps between two looks at the bus. A look receives only from
        the queues holding a message (``LambdaRuntime.pump``) and reads the migration once,
        so it is cheap; 0.1 s is 20 simulated seconds at the tests' time scale (0.005)."""
        return 0.02 if self.time_scale <= 0 else 0.1

    def thread(self) -> str:
        """The newest migration's thread as a person reads it."""
        return self.slack.render_thread(CHANNEL, self.card()["ts"])

    def _ingress(self, event: dict[str, Any]) -> dict[str, Any]:
        from handlers import slack_ingress

        context = LocalContext(function_name="SlackIngressFunction")
        response = slack_ingress.handler(event, context)  # type: ignore[arg-type]
        body = response.get("body") or ""
        try:
            response["json"] = json.loads(body) if body else {}
        except json.JSONDecodeError:
            response["json"] = {"text": body}  # Bolt answers a text-only ack as text/plain
        return response

    def _set_env(self, env: dict[str, str]) -> None:
        for name, value in env.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value
