"""The bot's own stack, provisioned in the AWS stand-in from ``template.yaml``.

Tables are created with the template's keys and indexes, the bucket and the
roles the functions pass to AWS are created by name, and the functions'
environment is resolved from the template's ``Ref``/``GetAtt`` values, so
the handlers run with the same settings they would get in AWS.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sandbox.template import Template, TemplateError

_TABLE_KEYS = ("KeySchema", "AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes")
_ASSUME = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["codebuild.amazonaws.com", "ecs-tasks.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass
class LocalSlack:
    """What the functions need to reach the Slack stand-in."""

    api_url: str
    bot_token: str
    signing_secret: str


class BotStack:
    """Creates the template's state resources and resolves the functions' environment."""

    def __init__(self, template: Template, clients: Any, account_id: str) -> None:
        self.template = template
        self._clients = clients
        self._account = account_id
        self.physical: dict[str, str] = {}
        self.queue_urls: dict[str, str] = {}

    def provision(self) -> None:
        """Create tables, the artifacts bucket and the roles named in the environment."""
        dynamodb = self._clients("dynamodb")
        for logical_id, resource in self.template.of_type("AWS::DynamoDB::Table").items():
            props = resource["Properties"]
            table = dynamodb.create_table(
                TableName=logical_id, **{k: props[k] for k in _TABLE_KEYS if k in props}
            )["TableDescription"]
            self.physical[logical_id] = logical_id
            self.physical[f"{logical_id}.Arn"] = table["TableArn"]
        for logical_id in self.template.of_type("AWS::S3::Bucket"):
            name = f"migrate-bot-{logical_id.lower()}-{self._account}"
            self._clients("s3").create_bucket(Bucket=name)
            self.physical[logical_id] = name
            self.physical[f"{logical_id}.Arn"] = f"arn:aws:s3:::{name}"
        sqs = self._clients("sqs")
        queues = self.template.of_type("AWS::SQS::Queue")
        # Dead-letter targets first, so a redrive policy can name them.
        for logical_id in sorted(queues, key=lambda q: "RedrivePolicy" in queues[q]["Properties"]):
            props = queues[logical_id]["Properties"]
            attributes = {}
            if "VisibilityTimeout" in props:
                attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
            if "RedrivePolicy" in props:
                policy = props["RedrivePolicy"]
                target = ".".join(policy["deadLetterTargetArn"]["Fn::GetAtt"])
                attributes["RedrivePolicy"] = json.dumps(
                    {
                        "deadLetterTargetArn": self.physical[target],
                        "maxReceiveCount": policy["maxReceiveCount"],
                    }
                )
            url = sqs.create_queue(QueueName=logical_id, Attributes=attributes)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            self.physical[logical_id] = url
            self.queue_urls[logical_id] = url
            self.physical[f"{logical_id}.Arn"] = arn
            self.physical[f"{logical_id}.QueueName"] = logical_id
        iam = self._clients("iam")
        for logical_id in self.template.of_type("AWS::IAM::Role"):
            role = iam.create_role(
                RoleName=f"migrate-bot-{logical_id}", AssumeRolePolicyDocument=json.dumps(_ASSUME)
            )
            self.physical[f"{logical_id}.Arn"] = role["Role"]["Arn"]
        bus = self.template.custom_bus_name()
        self.physical[self._bus_id()] = bus
        self.physical[f"{self._bus_id()}.Arn"] = (
            f"arn:aws:events:us-east-1:{self._account}:event-bus/{bus}"
        )
        for logical_id in self.template.of_type("AWS::Scheduler::ScheduleGroup"):
            name = f"migrate-bot-{logical_id.lower()}"
            group = self._clients("scheduler").create_schedule_group(Name=name)
            self.physical[logical_id] = name  # Ref: the group's name
            self.physical[f"{logical_id}.Arn"] = group["ScheduleGroupArn"]
        # Managed policies (TaskRoleBoundary is the boundary the deploy creates task roles
        # with; IAM refuses a boundary that does not exist), after what their documents name.
        for logical_id, resource in self.template.of_type("AWS::IAM::ManagedPolicy").items():
            document = self._document(resource["Properties"]["PolicyDocument"])
            policy = iam.create_policy(
                PolicyName=f"migrate-bot-{logical_id}", PolicyDocument=json.dumps(document)
            )
            self.physical[logical_id] = policy["Policy"]["Arn"]

    def environment(self, slack: LocalSlack) -> dict[str, str]:
        """Every function's environment variables, resolved for the stand-ins."""
        env: dict[str, str] = {}
        for function in self.template.functions():
            for name, value in function.environment.items():
                if name == "SLACK_CREDENTIALS_SECRET_ARN":
                    continue  # locally the credentials come from the environment
                resolved = self._resolve(value)
                if env.get(name, resolved) != resolved:
                    raise TemplateError(f"{name} differs between functions; run them apart")
                env[name] = resolved
        env.update(
            SLACK_API_URL=slack.api_url,
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_SIGNING_SECRET=slack.signing_secret,
        )
        return env

    def _bus_id(self) -> str:
        return next(iter(self.template.of_type("AWS::Events::EventBus")))

    def _document(self, node: Any) -> Any:
        """A policy document with its ``!GetAtt``, ``!Ref`` and ``!Sub`` resolved."""
        if isinstance(node, list):
            return [self._document(item) for item in node]
        if isinstance(node, dict) and "Fn::Sub" in node:
            text = str(node["Fn::Sub"])
            pseudo = {"AWS::Partition": "aws", "AWS::Region": "us-east-1"}
            pseudo["AWS::AccountId"] = self._account
            for name in re.findall(r"\$\{([^}]+)\}", text):
                value = pseudo.get(name) or self.physical.get(name)
                if value is None:
                    raise TemplateError(f"cannot resolve ${{{name}}} for the local run")
                text = text.replace(f"${{{name}}}", value)
            return text
        if isinstance(node, dict) and ("Ref" in node or "Fn::GetAtt" in node):
            return self._resolve(node)
        if isinstance(node, dict):
            return {key: self._document(value) for key, value in node.items()}
        return node

    def _resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            if ref in self.physical:
                return self.physical[ref]
            if ref in self.template.parameters:
                return str(self.template.parameter_default(ref))
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            key = ".".join(value["Fn::GetAtt"])
            if key in self.physical:
                return self.physical[key]
        raise TemplateError(f"cannot resolve {value!r} for the local run")
