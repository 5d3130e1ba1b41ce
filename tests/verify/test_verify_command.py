"""Layer 5: ``python -m verify`` end to end against the emulators: moto (IAM enforced, every decision
taken by dev/support/iam_model.py) as AWS and the Bitmovin emulator acting as Bitmovin. One fake clock drives the emulator's export pace and verify's
polling and backoff, so nothing sleeps."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime

import boto3
import pytest

from dev.support import REPO_ROOT
from dev.support.aws_loop import (
    actor_config,
    create_accounts,
    deploy,
    tls_client_view_of_bucket_policies,
)
from dev.support.testing import ACME_STACK_OUTPUTS
from verify.cli import main

pytestmark = pytest.mark.layer5

API_KEY = "verify-api-key-SECRET-1f2e"
LICENSE = "verify-license-SECRET-9a8b"
OTHER_EXTERNAL_ID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
NOW = datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC)


class SharedClock:
    """The emulator's clock and verify's clock/sleep in one."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module", autouse=True)
def _tls_client_view():
    """Requests to moto are judged as from a TLS client in this module (see dev.support.aws_loop)."""
    with tls_client_view_of_bucket_policies():
        yield


@pytest.fixture
def loop(moto, emulator, monkeypatch):
    # moto answers the APIs it lacks (Access Analyzer) with HTTP 500, which botocore would retry with
    # real backoff sleeps; one attempt keeps the tests fast.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    moto.reset()
    accounts = create_accounts(moto)
    moto.enforce_iam()
    clock = SharedClock()
    emulator.exports.clock = clock
    exports = emulator.options.exports
    exports.aws = actor_config(moto, accounts)
    exports.queue_seconds, exports.hour_seconds = 20, 30
    yield accounts, clock
    moto.enforce_iam(False)


SHARED_SESSION = boto3.session.Session()  # loads the service models once for all tests


class AdminSession:
    """What verify needs of a boto3 session (``client``), with the customer admin's keys."""

    def __init__(self, accounts):
        self.keys = accounts.admin

    def client(self, service, **kwargs):
        return SHARED_SESSION.client(
            service,
            aws_access_key_id=self.keys.access_key_id,
            aws_secret_access_key=self.keys.secret_access_key,
            **kwargs,
        )


def run(moto, emulator, loop, deployment, tmp_path, *args, env=None, outputs=None):
    accounts, clock = loop
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(outputs or deployment.stack_outputs()))
    stdout, stderr = io.StringIO(), io.StringIO()
    environ = {"BITMOVIN_API_KEY": API_KEY, "BITMOVIN_API_URL": emulator.base_url, **(env or {})}
    session = AdminSession(accounts)
    code = main(
        ["--outputs-file", str(outputs_file), "--aws-endpoint-url", moto.url, *args],
        environ=environ,
        stdout=stdout,
        stderr=stderr,
        aws_session=session,
        clock=clock,
        sleep=clock.sleep,
        now=lambda: NOW,
    )
    return code, stdout.getvalue(), stderr.getvalue()


def export_args(*extra):
    return ("--export", "--license-key", LICENSE, *extra)


def assert_secrets_hidden(*texts):
    for text in texts:
        assert API_KEY not in text
        assert LICENSE not in text


def lines_with(text, marker):
    return [line.strip() for line in text.splitlines() if line.strip().startswith(marker)]


def test_read_only_checks_pass_on_a_correct_stack(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True)
    code, out, err = run(moto, emulator, loop, deployment, tmp_path)
    assert code == 0, out
    assert lines_with(out, "✗") == []
    assert len(lines_with(out, "✓")) == 10
    assert f"✓ output {deployment.output_id} exists in {deployment.org_id}" in out
    assert "10 passed, 0 failed, 2 not checked" in out
    assert emulator.requests.count("get") == 1
    assert emulator.requests.count("export_create") == 0  # read-only without --export
    assert_secrets_hidden(out, err)


def test_json_form(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True)
    code, out, _ = run(moto, emulator, loop, deployment, tmp_path, "--json")
    document = json.loads(out)
    assert code == 0
    assert document["ok"] is True
    assert document["counts"] == {"pass": 10, "fail": 0, "skip": 2}
    assert [c["id"] for c in document["checks"]][:3] == [
        "bitmovin.output_exists",
        "bitmovin.output_target",
        "bitmovin.external_id",
    ]
    assert document["requests"]["bitmovin:GET /v1/analytics/outputs/s3-role-based/{id}"] == 1
    assert document["requests"]["aws:iam:GetRole"] == 1
    assert set(document["seconds"]) == {"aws", "bitmovin"}


def test_export_finishes_and_files_land(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True)
    code, out, err = run(moto, emulator, loop, deployment, tmp_path, *export_args())
    assert code == 0, out
    path = "analytics/verify/20260301T123456Z/"
    assert f"✓ export task for 2026-03-01 10:00-11:00 UTC into s3://{deployment.bucket}/{path}" in out
    assert f"✓ files landed under s3://{deployment.bucket}/{path}: 1 file(s): 2026-03-01-10-00.csv" in out
    progress = [line.split(": ", 1)[1] for line in err.splitlines() if "export task" in line]
    assert progress == ["QUEUED", "STARTED 0%", "FINISHED"]
    assert loop[1].sleeps == [10.0] * 5  # polled every 10 s: queued 20 s, one hour of data 30 s
    assert emulator.requests.count("export_create") == 1
    assert_secrets_hidden(out, err)


def test_export_with_a_wrong_external_id_names_it(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True, trusted_external_id=OTHER_EXTERNAL_ID)
    code, out, err = run(moto, emulator, loop, deployment, tmp_path, *export_args())
    assert code == 1
    (export_line,) = [line for line in lines_with(out, "✗") if "export task" in line]
    assert (
        "likely cause: the role's trust policy does not admit Bitmovin with the output's external ID"
        in export_line
    )
    assert "[sts:AssumeRole AccessDenied" in export_line
    assert f"so the trust policy requires sts:ExternalId {deployment.external_id}" in out
    assert any("trust policy admits only Bitmovin" in line for line in lines_with(out, "✗"))
    assert emulator.requests.count("export_create") == 1  # a wrong ID is not retried
    assert_secrets_hidden(out, err)


def test_export_with_a_write_policy_for_another_prefix(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True, write_prefix="elsewhere/")
    code, out, _ = run(moto, emulator, loop, deployment, tmp_path, *export_args())
    assert code == 1
    assert "likely cause: S3 refused s3:GetBucketLocation" not in out
    assert (
        "likely cause: S3 refused s3:PutObject to the role: a permission problem (Bitmovin assumed the role) "
        "(the deployed write policy differs"
    ) in out
    assert "run `pulumi up` to restore the role's write policy" in out


def test_export_refused_acls_point_to_the_ownership_fallback(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True)
    emulator.exports.force_error(
        "AccessControlListNotSupported", "The bucket does not allow ACLs", service="s3", operation="PutObject"
    )
    code, out, _ = run(moto, emulator, loop, deployment, tmp_path, *export_args())
    assert code == 1
    assert "likely cause: the bucket refuses ACLs (AccessControlListNotSupported)" in out
    assert "pulumi config set objectOwnership BucketOwnerPreferred && pulumi up" in out


def test_a_role_not_assumable_yet_is_retried_with_backoff(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True)
    emulator.exports.force_error(
        "AccessDenied",
        "not authorized to perform: sts:AssumeRole",
        service="sts",
        operation="AssumeRole",
        times=2,
    )
    code, out, err = run(moto, emulator, loop, deployment, tmp_path, *export_args())
    assert code == 0, out
    assert emulator.requests.count("export_create") == 3
    backoffs = [s for s in loop[1].sleeps if s != 10.0]
    assert backoffs == [15.0, 30.0]
    assert "new attempt in 15 s" in err
    assert "FINISHED after 50 s, attempt 3" in out
    assert "analytics/verify/20260301T123456Z-3/" in out


def test_retries_are_bounded(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True)
    emulator.exports.force_error("AccessDenied", "sts:AssumeRole denied", operation="AssumeRole", times=None)
    code, out, _ = run(moto, emulator, loop, deployment, tmp_path, *export_args("--retry-seconds", "60"))
    assert code == 1
    # t=0 create, t=20 ERROR; backoff 15 s; t=35 create, t=55 ERROR; 55 + 30 > 60: give up.
    assert emulator.requests.count("export_create") == 2
    assert "ended in ERROR after 2 attempts: likely cause: the role is not assumable yet" in out
    assert "wait a minute and run `venv/bin/python -m verify --export` again" in out


def test_a_listing_refused_after_assume_role_is_named_a_permission_problem(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True)
    emulator.exports.force_error(
        "AccessDenied",
        "not authorized to perform: s3:ListBucket",
        service="s3",
        operation="ListObjectsV2",
        times=None,
    )
    code, out, err = run(moto, emulator, loop, deployment, tmp_path, *export_args("--retry-seconds", "60"))
    assert code == 1
    assert "not assumable" not in out + err
    # The role was created seconds ago with the program's policy: retried, then named for what it is.
    assert emulator.requests.count("export_create") == 2
    assert (
        "ended in ERROR after 2 attempts: likely cause: S3 refused s3:ListBucket (ListObjectsV2) to the role: "
        "a permission problem (Bitmovin assumed the role); the role is "
    ) in out
    assert (
        "if S3 still refuses s3:ListBucket, look for bucket policies, SCPs and permission boundaries" in out
    )


def test_export_timeout(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True)
    emulator.options.exports.auto_advance = False
    code, out, _ = run(moto, emulator, loop, deployment, tmp_path, *export_args("--export-timeout", "60"))
    assert code == 1
    assert "still QUEUED (0%) after 60 s" in out
    assert "larger --export-timeout" in out


def test_without_error_details_the_read_only_checks_decide(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True, trusted_external_id=OTHER_EXTERNAL_ID)
    emulator.options.exports.error_details = False  # as the real API may answer: ERROR without a reason
    code, out, _ = run(moto, emulator, loop, deployment, tmp_path, *export_args())
    assert code == 1
    assert (
        "likely cause: the role's trust policy does not admit Bitmovin with the output's external ID" in out
    )
    assert "[sts:" not in out


def test_export_needs_a_license_key_before_any_request(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0])
    code, out, err = run(moto, emulator, loop, deployment, tmp_path, "--export")
    assert code == 2
    assert out == ""
    assert "BITMOVIN_ANALYTICS_LICENSE_KEY" in err
    assert len(emulator.requests) == 0


def test_license_key_from_the_environment(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True)
    code, out, err = run(
        moto,
        emulator,
        loop,
        deployment,
        tmp_path,
        "--export",
        env={"BITMOVIN_ANALYTICS_LICENSE_KEY": LICENSE},
    )
    assert code == 0, out
    assert_secrets_hidden(out, err)


def test_missing_api_key_and_deleted_output(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0], tls_only=True)
    code, out, _ = run(moto, emulator, loop, deployment, tmp_path, env={"BITMOVIN_API_KEY": ""})
    assert code == 1
    assert "no Bitmovin API key" in out
    assert "set BITMOVIN_API_KEY" in out
    emulator.outputs.delete(deployment.output_id, deployment.org_id)
    code, out, _ = run(moto, emulator, loop, deployment, tmp_path)
    assert code == 1
    assert "HTTP 404" in out
    assert "the output was deleted outside Pulumi: run `pulumi up --refresh`" in out


def test_unusable_outputs_exit_2(moto, emulator, loop, tmp_path):
    deployment = deploy(moto, emulator, loop[0])
    outputs = {**deployment.stack_outputs(), "externalId": "[secret]"}
    code, _, err = run(moto, emulator, loop, deployment, tmp_path, outputs=outputs)
    assert code == 2
    assert "--show-secrets" in err


class FakeWorkspace:
    """Answers like ``LocalWorkspace`` (``OutputValue``/``ConfigValue`` objects with ``.value``)."""

    def __init__(self, outputs, config, secret=()):
        from pulumi.automation import ConfigValue, OutputValue

        self._outputs = {k: OutputValue(v, k in secret) for k, v in outputs.items()}
        self._config = {k: ConfigValue(v) for k, v in config.items()}
        self.asked: list[str] = []

    def stack_outputs(self, stack):
        self.asked.append(stack)
        return self._outputs

    def get_all_config(self, stack):
        self.asked.append(stack)
        return self._config


def test_automation_api_source_takes_the_key_from_the_stack_config(moto, emulator, loop, tmp_path):
    accounts, clock = loop
    deployment = deploy(moto, emulator, accounts, tls_only=True)
    workspace = FakeWorkspace(
        deployment.stack_outputs(),
        {"bitmovin:apiKey": API_KEY, "bitmovin:apiUrl": emulator.base_url, "aws:region": "eu-central-1"},
    )
    stdout, stderr = io.StringIO(), io.StringIO()
    session = AdminSession(accounts)
    code = main(
        ["--stack", "acme-prod", "--aws-endpoint-url", moto.url],
        environ={},
        stdout=stdout,
        stderr=stderr,
        aws_session=session,
        clock=clock,
        sleep=clock.sleep,
        workspace=workspace,
    )
    assert code == 0, stdout.getvalue()
    assert workspace.asked == ["acme-prod", "acme-prod"]
    assert stdout.getvalue().startswith("Verify stack acme-prod:")
    assert_secrets_hidden(stdout.getvalue(), stderr.getvalue())


def test_automation_api_without_a_usable_cli_exits_2():
    stderr = io.StringIO()
    code = main(["--stack", "no-such-stack-for-verify"], environ={}, stdout=io.StringIO(), stderr=stderr)
    assert code == 2
    if shutil.which("pulumi") is None:
        assert "the Pulumi CLI is not installed here" in stderr.getvalue()
    else:
        assert "cannot read stack 'no-such-stack-for-verify'" in stderr.getvalue()


def test_python_dash_m_verify_in_a_subprocess(moto, emulator, loop, tmp_path):
    accounts, _ = loop
    deployment = deploy(moto, emulator, accounts, tls_only=True)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(deployment.stack_outputs()))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "BITMOVIN_API_KEY": API_KEY,
        "BITMOVIN_API_URL": emulator.base_url,
        "AWS_ACCESS_KEY_ID": accounts.admin.access_key_id,
        "AWS_SECRET_ACCESS_KEY": accounts.admin.secret_access_key,
        "AWS_ENDPOINT_URL": moto.url,  # boto3 reads it itself
        "AWS_MAX_ATTEMPTS": "1",  # no retry sleeps on the APIs moto lacks
    }
    result = subprocess.run(
        [sys.executable, "-m", "verify", "--outputs-file", str(outputs), "--json"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["counts"]["fail"] == 0
    assert_secrets_hidden(result.stdout, result.stderr)


# -- secret outputs ----------------------------------------------------------------------------------

CUSTOM_ID = "acme-custom-external-id-SECRET-5d4c"


def custom_deploy(moto, emulator, accounts, **kwargs):
    """A CUSTOM mode stack: the external ID chosen with `pulumi config set --secret externalId`."""

    def create_output(fields, org_id):
        return emulator.outputs.create(
            {**fields, "externalIdMode": "CUSTOM", "externalId": CUSTOM_ID}, org_id
        )

    return deploy(moto, emulator, accounts, tls_only=True, create_output=create_output, **kwargs)


def run_stack(moto, emulator, loop, deployment, *args, secret=("externalId",)):
    accounts, clock = loop
    outputs = {**deployment.stack_outputs(), "externalIdMode": "CUSTOM"}
    workspace = FakeWorkspace(
        outputs, {"bitmovin:apiKey": API_KEY, "bitmovin:apiUrl": emulator.base_url}, secret=secret
    )
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["--stack", "acme-prod", "--aws-endpoint-url", moto.url, *args],
        environ={},
        stdout=stdout,
        stderr=stderr,
        aws_session=AdminSession(accounts),
        clock=clock,
        sleep=clock.sleep,
        now=lambda: NOW,
        workspace=workspace,
    )
    return code, stdout.getvalue(), stderr.getvalue()


def test_a_secret_external_id_is_never_printed_unless_show_secrets(moto, emulator, loop, tmp_path):
    deployment = custom_deploy(moto, emulator, loop[0])
    assert deployment.external_id == CUSTOM_ID
    code, out, err = run_stack(moto, emulator, loop, deployment)
    assert code == 0, out  # compared with the real value: output, stack and trust policy agree
    assert CUSTOM_ID not in out + err
    assert "✓ external ID: output, stack and trust policy agree: [secret]" in out
    assert "StringEquals sts:ExternalId = [secret]" in out
    code, out, err = run_stack(moto, emulator, loop, deployment, "--json")
    assert code == 0
    assert CUSTOM_ID not in out + err
    assert "[secret]" in json.loads(out)["checks"][2]["detail"]
    code, out, _ = run_stack(moto, emulator, loop, deployment, "--show-secrets")
    assert code == 0
    assert f"✓ external ID: output, stack and trust policy agree: {CUSTOM_ID}" in out
    code, out, _ = run_stack(moto, emulator, loop, deployment, "--json", "--show-secrets")
    assert CUSTOM_ID in json.loads(out)["checks"][2]["detail"]
    # A plain (not secret) external ID is shown as before.
    _, out, _ = run_stack(moto, emulator, loop, deployment, secret=())
    assert CUSTOM_ID in out


def test_a_secret_external_id_stays_masked_when_the_checks_fail(moto, emulator, loop, tmp_path):
    deployment = custom_deploy(moto, emulator, loop[0], trusted_external_id=OTHER_EXTERNAL_ID)
    for extra in ((), ("--json",)):
        code, out, err = run_stack(moto, emulator, loop, deployment, *export_args(*extra))
        assert code == 1
        for value in (CUSTOM_ID, OTHER_EXTERNAL_ID):  # the trust policy's other ID is masked too
            assert value not in out + err
    assert "the trust policy requires sts:ExternalId [secret]" in out
    assert "it requires sts:ExternalId [secret: not the stack's externalId]" in out
    _, out, _ = run_stack(moto, emulator, loop, deployment, "--show-secrets")
    assert CUSTOM_ID in out
    assert OTHER_EXTERNAL_ID in out


def test_outputs_file_external_id_is_masked_when_the_config_file_holds_it_secure(
    moto, emulator, loop, tmp_path
):
    deployment = custom_deploy(moto, emulator, loop[0])
    config = tmp_path / "Pulumi.acme-prod.yaml"
    config.write_text("config:\n  bitmovin-analytics-export:externalId:\n    secure: v1:AAAA\n")
    for extra in ((), ("--json",)):
        code, out, err = run(moto, emulator, loop, deployment, tmp_path, "--config-file", str(config), *extra)
        assert code == 0, out
        assert CUSTOM_ID not in out + err
        assert "[secret]" in out
    code, out, _ = run(
        moto, emulator, loop, deployment, tmp_path, "--config-file", str(config), "--show-secrets"
    )
    assert CUSTOM_ID in out


# -- untrusted outputs: validated before any request ---------------------------------------------------


class NoAwsSession:
    """A boto3 session stand-in that fails the test if verify asks it for a client."""

    asked: list[str] = []

    def client(self, service, **kwargs):
        self.asked.append(service)
        raise AssertionError(f"verify created an AWS {service} client")


GOOD_OUTPUTS = ACME_STACK_OUTPUTS


@pytest.mark.parametrize(
    ("outputs", "config", "key", "shown"),
    [
        ({"bucketName": "acme\n::error::pwned"}, "", "stack output bucketName", "acme\\n::error::pwned"),
        ({"roleName": "acme\x1b[31m"}, "", "stack output roleName", "acme\\x1b[31m"),
        ({"exportPrefix": "analytics/\u202e/"}, "", "stack output exportPrefix", "analytics/\\u202e/"),
        ({"region": "eu-central-1\n::error::pwned"}, "", "stack output region", "\\n::error::pwned"),
        ({"roleArn": "arn:aws:iam::123456789012:role/x\n::error::pwned"}, "", "roleArn", "\\n::error::"),
        ({}, "  aws:region: 'eu-central-1\\n::error::pwned'", "stack config aws:region", "\\n::error::"),
        ({}, "  bitmovin:apiUrl: 'http://evil.example/v1'", "stack config bitmovin:apiUrl", "evil.example"),
        ({}, "  bitmovin:apiUrl: 'https://x/v1\\u202e'", "stack config bitmovin:apiUrl", "\\u202e"),
    ],
)
def test_hostile_outputs_exit_2_naming_the_key_before_any_request(
    emulator, tmp_path, outputs, config, key, shown
):
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps({**GOOD_OUTPUTS, **outputs}))
    args = ["--outputs-file", str(outputs_file)]
    if config:
        config_file = tmp_path / "Pulumi.acme-prod.yaml"
        config_file.write_text(f"config:\n{config}\n")
        args += ["--config-file", str(config_file)]
    session = NoAwsSession()
    session.asked = []
    for form in ([], ["--json"], [*export_args()]):
        stdout, stderr = io.StringIO(), io.StringIO()
        code = main(
            [*args, *form],
            environ={"BITMOVIN_API_KEY": API_KEY, "BITMOVIN_API_URL": emulator.base_url},
            stdout=stdout,
            stderr=stderr,
            aws_session=session,
            now=lambda: NOW,
        )
        err = stderr.getvalue()
        assert code == 2, err
        assert stdout.getvalue() == ""
        assert key in err
        assert shown in err
        assert not any(c in err for c in "\x1b\u202e")
        assert not any(line.startswith("::") for line in err.splitlines())
    assert len(emulator.requests) == 0
    assert session.asked == []


# -- no AWS credentials: one root cause ---------------------------------------------------------------


def test_no_aws_credentials_are_reported_once(emulator, tmp_path):
    import botocore.session
    from botocore.credentials import CredentialResolver

    core = botocore.session.Session()
    core.register_component("credential_provider", CredentialResolver([]))  # finds nothing
    session = boto3.session.Session(botocore_session=core, region_name="eu-central-1")
    output = emulator.outputs.create(
        {
            "name": "acme",
            "bucketName": "acme-analytics",
            "roleArn": GOOD_OUTPUTS["roleArn"],
            "externalIdMode": "GLOBAL",
        }
    )
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(
        json.dumps({**GOOD_OUTPUTS, "outputId": output["id"], "externalId": output["externalId"]})
    )
    stdout = io.StringIO()
    code = main(
        ["--outputs-file", str(outputs_file), *export_args()],
        environ={"BITMOVIN_API_KEY": API_KEY, "BITMOVIN_API_URL": emulator.base_url},
        stdout=stdout,
        stderr=io.StringIO(),
        aws_session=session,
        clock=SharedClock(),
        sleep=lambda seconds: None,
        now=lambda: NOW,
    )
    out = stdout.getvalue()
    assert code == 1
    assert out.count("Unable to locate credentials") == 1
    assert out.count("AWS_PROFILE") == 1
    assert "✗ AWS credentials: NoCredentialsError: Unable to locate credentials" in out
    aws_section = out.split("AWS (read-only)\n", 1)[1].split("\n\n", 1)[0].splitlines()
    dependent = [line for line in aws_section if line.startswith("  \u2013")]  # not checked
    assert len(dependent) == 9  # role, trust, write policy, simulator, 4 bucket settings, Access Analyzer
    assert all(line.endswith(": not checked: no AWS credentials (see above)") for line in dependent)
    assert "files landed under" in out
    assert out.count("no AWS credentials (see above)") == 10
    assert "AWS 0" in out  # no request was sent
