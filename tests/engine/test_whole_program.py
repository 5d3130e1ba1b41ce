"""Layer 6: the whole program (``__main__.py``) through the real engine, offline, with the aws stand-in.

pulumi-aws's plugin can be neither built nor downloaded here, so ``dev/aws_standin/bin`` goes first on
the engine's PATH and its ``pulumi-resource-aws`` (moto through boto3) serves the AWS resources, while
the two dynamic resources run in the real dynamic-provider host against the Bitmovin emulator. No
``aws_plugin`` marker: ``.ci/run`` runs it. What the stand-in does not prove: docs/aws-standin.md.

One ``local`` stack (the committed ``Pulumi.local.yaml``, its endpoints moved to this module's moto and
emulator) is shared by the tests below, in file order, each a later stage of the same lifecycle:
preview of the fresh stack, up, a consumer stack, a second up and a refresh, destroy.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import yaml

from analytics_export import policies
from analytics_export.component import ROLE_POLICY_NAME
from analytics_export.stack_outputs import STACK_OUTPUTS
from dev.bitmovin_emulator import EmulatorServer
from dev.support import REPO_ROOT
from dev.support.aws_loop import CUSTOMER_ACCOUNT, MotoServer, tls_client_view_of_bucket_policies
from dev.support.engine import EngineStack, copy_engine_project, copy_program, engine_env, skip_without_engine
from dev.support.sandbox_support import load_sandbox

pytestmark = [pytest.mark.layer6, skip_without_engine()]

sandbox = load_sandbox()  # the local stack's passphrase and the emulator key its config encrypts
STACK = "local"
STANDIN_BIN = REPO_ROOT / "dev" / "aws_standin" / "bin"
REGION = "us-east-1"  # Pulumi.local.yaml's


@dataclass
class AwsRequest:
    method: str
    path: str
    action: str  # the query protocol's Action (IAM, STS), "" for S3

    @property
    def write(self) -> bool:
        if self.action:
            return not self.action.startswith(("Get", "List"))
        return self.method not in ("GET", "HEAD")


@dataclass
class Recorder:
    """Every request moto answers (its WSGI app wrapped): the AWS side of the figures."""

    requests: list[AwsRequest] = field(default_factory=list)

    def wrap(self, app: Any) -> Any:
        def recording(environ: dict[str, Any], start_response: Any) -> Any:
            action = ""
            if environ["REQUEST_METHOD"] == "POST" and "form" in environ.get("CONTENT_TYPE", ""):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length)
                action = parse_qs(body.decode()).get("Action", [""])[0]
                environ["wsgi.input"] = io.BytesIO(body)
            self.requests.append(AwsRequest(environ["REQUEST_METHOD"], environ["PATH_INFO"], action))
            return app(environ, start_response)

        return recording


@dataclass
class Run:
    stack: EngineStack
    emulator: EmulatorServer
    moto: MotoServer
    aws_log: Recorder
    home: Path
    figures: dict[str, Any] = field(default_factory=dict)

    def aws(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.moto.url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def timed(self, *args: str) -> tuple[str, float]:
        started = time.perf_counter()
        output = self.stack.ok(*args)
        return output, time.perf_counter() - started


def _local_stack_file(moto_url: str, emulator_url: str) -> str:
    text = (REPO_ROOT / "Pulumi.local.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    (endpoints,) = config["aws:endpoints"]
    for url in set(endpoints.values()):
        text = text.replace(url, moto_url)
    return text.replace(config["bitmovin:apiUrl"], emulator_url)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("whole")
    aws_log = Recorder()
    with MotoServer() as moto, EmulatorServer(api_keys={sandbox.EMULATOR_API_KEY}) as emulator:
        werkzeug = moto._server._server  # ThreadedMotoServer's werkzeug server: wrap its WSGI app
        assert werkzeug is not None
        werkzeug.app = aws_log.wrap(werkzeug.app)
        project = copy_program(tmp / "project")
        (project / "Pulumi.local.yaml").write_text(_local_stack_file(moto.url, emulator.base_url))
        env = engine_env(tmp / "home", {"PULUMI_CONFIG_PASSPHRASE": sandbox.PASSPHRASE})
        env["PATH"] = f"{STANDIN_BIN}:{env['PATH']}"
        stack = EngineStack(project, env, STACK)
        stack.ok("stack", "init", STACK, "--secrets-provider", "passphrase", "--no-select")
        yield Run(stack, emulator, moto, aws_log, tmp / "home")
        stack.run("stack", "rm", STACK, "--yes", "--force")


def test_preview_of_a_fresh_stack_sends_nothing_and_writes_nothing(run: Run):
    run.emulator.requests.clear()
    run.aws_log.requests.clear()
    output = run.stack.ok("preview", "--stack", STACK)
    assert "stand-in (dev/aws_standin)" in output  # every run that uses it says so
    # One warning per run (the CLI repeats each under "Diagnostics:").
    assert output.split("Diagnostics:")[1].count("is the project's stand-in") == 1
    assert [(r.route, r.status) for r in run.emulator.requests] == []
    assert [r for r in run.aws_log.requests if r.write] == []
    assert {r.action for r in run.aws_log.requests} == {"GetCallerIdentity"}
    assert run.aws("s3").list_buckets()["Buckets"] == []
    assert run.aws("iam").list_roles()["Roles"] == []


def test_up_creates_one_output_and_the_role_trusting_exactly_its_external_id(run: Run):
    run.emulator.requests.clear()
    run.aws_log.requests.clear()
    _, seconds = run.timed("up", "--stack", STACK, "--yes", "--skip-preview")
    run.figures.update(
        up_seconds=seconds,
        bitmovin_requests=len(run.emulator.requests),
        aws_requests=len(run.aws_log.requests),
        aws_writes=sum(r.write for r in run.aws_log.requests),
    )
    print(f"\nwhole-program up: {run.figures}")
    # One POST; the create-exactly-once lookup by name (providers/create_reconciler.py) lists first.
    # no tenantOrgId: the key's account is recorded first (a 404 later counts only in its organization)
    assert [(r.route, r.status) for r in run.emulator.requests] == [
        ("account_information", 200),
        ("list", 200),
        ("create", 201),
    ]
    assert len(run.emulator.outputs) == 1
    outputs = run.stack.outputs()
    stored = run.emulator.outputs.get(outputs["outputId"])
    role = run.aws("iam").get_role(RoleName=outputs["roleName"])["Role"]
    assert role["AssumeRolePolicyDocument"] == policies.trust_policy(stored["externalId"])
    assert role["Arn"] == stored["roleArn"] == outputs["roleArn"]
    assert role["MaxSessionDuration"] == 3600


def test_the_write_policy_and_every_bucket_setting_are_in_moto(run: Run):
    outputs = run.stack.outputs()
    bucket, iam, s3 = outputs["bucketName"], run.aws("iam"), run.aws("s3")
    written = iam.get_role_policy(RoleName=outputs["roleName"], PolicyName=ROLE_POLICY_NAME)["PolicyDocument"]
    assert written == policies.write_policy("aws", bucket, "", None, region=REGION)
    assert iam.list_role_policies(RoleName=outputs["roleName"])["PolicyNames"] == [ROLE_POLICY_NAME]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == policies.tls_only_bucket_policy(
        "aws", bucket
    )
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["pulumi-stack"] == STACK
    assert tags["managed-by"] == "pulumi"
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchLifecycleConfiguration"):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)  # retentionDays is not set


def test_the_stack_outputs_are_those_declared(run: Run):
    outputs = run.stack.outputs()
    output = run.emulator.outputs.get(outputs["outputId"])
    bucket = f"bitmovin-analytics-{STACK}-{CUSTOMER_ACCOUNT}"
    assert outputs == {
        "outputId": output["id"],
        "externalId": output["externalId"],
        "externalIdMode": "GLOBAL",
        "roleArn": f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/bitmovin-analytics-export-{STACK}",
        "roleName": f"bitmovin-analytics-export-{STACK}",
        "bucketName": bucket,
        "bucketArn": f"arn:aws:s3:::{bucket}",
        "region": REGION,
        "tenantOrgId": "",
        "exportPrefix": "",
    }


CONSUMER_PROGRAM = '''"""Reads every output of the export stack through the engine, as examples/consumer does."""
import pulumi

import crawler_access as access

NAMES = {names!r}
export = pulumi.StackReference(access.export_stack_name(pulumi.Config().require("exportStack")))
values = {{name: export.require_output(name) for name in NAMES}}
for name, value in values.items():
    pulumi.export(name, value)
pulumi.export(
    "exportLocation",
    pulumi.Output.all(values["bucketName"], values["exportPrefix"]).apply(
        lambda v: f"s3://{{access.checked_bucket(v[0])}}/{{access.checked_prefix(v[1])}}"
    ),
)
'''


def test_a_consumer_stack_reads_the_outputs_through_the_engine(run: Run):
    source = run.home.parent / "consumer-source"
    source.mkdir()
    (source / "Pulumi.yaml").write_text(
        "name: bitmovin-analytics-consumer\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n"
    )
    names = [output.name for output in STACK_OUTPUTS]
    (source / "__main__.py").write_text(CONSUMER_PROGRAM.format(names=names))
    (source / "crawler_access.py").write_text((REPO_ROOT / "examples/consumer/crawler_access.py").read_text())
    consumer = EngineStack(
        copy_engine_project(run.home.parent / "consumer", source, dirs=()), run.stack.env, "reader"
    )
    consumer.init()
    consumer.config_set("exportStack", f"organization/bitmovin-analytics-export/{STACK}")
    consumer.up()
    exported = run.stack.outputs()
    read = consumer.outputs()
    assert {name: read[name] for name in names} == exported
    assert read["exportLocation"] == f"s3://{exported['bucketName']}/"
    consumer.ok("destroy", "--stack", "reader", "--yes", "--skip-preview")


def test_a_second_up_and_a_refresh_change_nothing(run: Run):
    run.emulator.requests.clear()
    run.aws_log.requests.clear()
    run.stack.ok("up", "--stack", STACK, "--yes", "--skip-preview", "--expect-no-changes")
    run.stack.ok("refresh", "--stack", STACK, "--yes", "--skip-preview", "--expect-no-changes")
    assert [r for r in run.aws_log.requests if r.write] == []
    assert [r.route for r in run.emulator.requests] == ["get"]  # the refresh reads the output once


def test_refresh_sees_drift_in_moto(run: Run):
    outputs = run.stack.outputs()
    iam = run.aws("iam")
    described = iam.get_role(RoleName=outputs["roleName"])["Role"]["Description"]
    iam.update_role_description(RoleName=outputs["roleName"], Description="changed by hand")
    try:
        result = run.stack.run("refresh", "--stack", STACK, "--preview-only", "--diff", "--expect-no-changes")
    finally:
        iam.update_role_description(RoleName=outputs["roleName"], Description=described)
    assert result.returncode != 0, result.stdout
    assert "changed by hand" in result.stdout


def test_destroy_keeps_the_bucket_and_its_objects_and_deletes_the_output_and_the_role(run: Run):
    outputs = run.stack.outputs()
    s3, iam = run.aws("s3"), run.aws("iam")
    with tls_client_view_of_bucket_policies():  # moto ignores the TLS-only deny's condition
        s3.put_object(Bucket=outputs["bucketName"], Key="analytics/export.csv", Body=b"a,b\n")
    run.emulator.requests.clear()
    run.stack.ok("destroy", "--stack", STACK, "--yes", "--skip-preview")
    assert [r.route for r in run.emulator.requests] == ["delete"]
    assert len(run.emulator.outputs) == 0
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=outputs["roleName"])
    with tls_client_view_of_bucket_policies():
        kept = s3.get_object(Bucket=outputs["bucketName"], Key="analytics/export.csv")["Body"].read()
    assert kept == b"a,b\n"
    assert s3.get_bucket_versioning(Bucket=outputs["bucketName"])["Status"] == "Enabled"
    assert all(
        s3.get_public_access_block(Bucket=outputs["bucketName"])["PublicAccessBlockConfiguration"].values()
    )
    assert run.stack.outputs() == {}
