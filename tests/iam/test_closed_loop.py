"""Layer 5: the closed loop. The emulator acts as Bitmovin toward a moto server with IAM enforced, set up
as the program deploys it (``dev/support/aws_loop.py``); the project's client drives the export tasks.

moto serves the API and authenticates; every authorization (the role's permission policy on the assumed
credentials, the trust policy with the external ID, the TLS-only bucket policy) is decided by
dev/support/iam_model.py (dev/support/model_authorizer.py), not by moto's own authorizer. The emulator
also judges the trust policy first with ``verify.trust_evaluation``, for its diagnosis text. Each poll
moves a task one step (pace 0), so no test sleeps.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from bitmovin_api.client import BitmovinClient
from dev.support import REPO_ROOT
from dev.support.aws_loop import (
    ORG,
    actor_config,
    create_accounts,
    deploy,
    object_keys,
    tls_client_view_of_bucket_policies,
)
from verify.export_tasks import ExportTaskRequest, ExportTasksClient

pytestmark = pytest.mark.layer5

LICENSE = "lic-closed-loop-4f1d"
START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
OTHER_EXTERNAL_ID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"


@pytest.fixture
def loop(moto, emulator):
    """Fresh moto state, the two accounts, IAM enforced; the emulator acts as Bitmovin toward moto."""
    moto.reset()
    accounts = create_accounts(moto)
    moto.enforce_iam()
    exports = emulator.options.exports
    exports.aws = actor_config(moto, accounts)
    exports.queue_seconds = exports.hour_seconds = 0
    yield accounts
    moto.enforce_iam(False)


def tasks_client(emulator, deployment):
    client = BitmovinClient("loop-key", base_url=emulator.base_url, tenant_org_id=deployment.org_id)
    return ExportTasksClient(client)


def run_export(emulator, deployment, hours=2, path=None):
    """Create a task and poll it to the end; returns (final task, statuses seen)."""
    client = tasks_client(emulator, deployment)
    task = client.create(
        ExportTaskRequest(
            name="closed-loop",
            start_time=START,
            end_time=START + timedelta(hours=hours),
            output_id=deployment.output_id,
            output_path=path or f"{deployment.prefix}loop/",
            license_key=LICENSE,
        )
    )
    seen = [(task.status, task.progress)]
    for _ in range(hours + 3):
        if task.terminal:
            break
        task = client.get(task.id)
        seen.append((task.status, task.progress))
    return task, seen


def test_iam_is_enforced(moto, loop):
    stranger = moto.client("s3", type(loop.admin)("AKIANOTAKEY00000000", "nope"))
    with pytest.raises(ClientError) as raised:
        stranger.list_buckets()
    assert raised.value.response["Error"]["Code"] == "InvalidAccessKeyId"


def test_correct_setup_finishes_with_one_file_per_hour_under_the_prefix(moto, loop, emulator):
    deployment = deploy(moto, emulator, loop)
    task, seen = run_export(emulator, deployment, hours=2)
    assert task.status == "FINISHED", task.error
    assert seen == [("QUEUED", 0), ("STARTED", 0), ("STARTED", 50), ("FINISHED", 100)]
    assert task.error is None
    assert task.started_at is not None
    assert task.finished_at >= task.started_at
    assert object_keys(moto, loop.admin, deployment.bucket) == [
        "analytics/loop/2026-03-01-10-00.csv",
        "analytics/loop/2026-03-01-11-00.csv",
    ]


def test_trust_policy_with_another_external_id_ends_in_error_with_the_trust_diagnosis(moto, loop, emulator):
    deployment = deploy(moto, emulator, loop, trusted_external_id=OTHER_EXTERNAL_ID)
    task, seen = run_export(emulator, deployment)
    assert task.status == "ERROR"
    assert seen[-1][0] == "ERROR"
    assert ("STARTED", 50) not in seen
    error = task.error
    assert (error.service, error.operation, error.code) == ("sts", "AssumeRole", "AccessDenied")
    assert "bitmovinCustomerS3Access is not authorized to perform: sts:AssumeRole" in error.message
    assert OTHER_EXTERNAL_ID in error.diagnosis
    assert deployment.external_id in error.diagnosis
    assert "sts:ExternalId" in error.diagnosis
    assert object_keys(moto, loop.admin, deployment.bucket) == []


def test_write_policy_for_another_prefix_ends_in_error_access_denied(moto, loop, emulator):
    deployment = deploy(moto, emulator, loop, write_prefix="elsewhere/")
    task, _ = run_export(emulator, deployment)
    assert task.status == "ERROR"
    assert (task.error.service, task.error.operation, task.error.code) == ("s3", "PutObject", "AccessDenied")
    assert object_keys(moto, loop.admin, deployment.bucket) == []


def test_export_path_outside_the_prefix_is_refused(moto, loop, emulator):
    deployment = deploy(moto, emulator, loop)
    task, _ = run_export(emulator, deployment, hours=1, path="not-the-prefix/")
    assert task.status == "ERROR"
    assert (task.error.operation, task.error.code) == ("PutObject", "AccessDenied")


def test_missing_role_ends_in_error(moto, loop, emulator):
    deployment = deploy(moto, emulator, loop)
    iam = moto.client("iam", loop.admin)
    iam.delete_role_policy(RoleName=deployment.role_name, PolicyName="bitmovin-analytics-export-write")
    iam.delete_role(RoleName=deployment.role_name)
    task, _ = run_export(emulator, deployment, hours=1)
    assert task.status == "ERROR"
    assert task.error.operation == "AssumeRole"
    assert "does not exist" in task.error.diagnosis


def test_tls_only_bucket_policy_with_a_tls_view(moto, loop, emulator):
    """The moto server speaks plain HTTP, so the TLS-only policy refuses the write, as AWS refuses a
    plain-HTTP client (aws:SecureTransport false); judged as from a TLS client, the export succeeds."""
    deployment = deploy(moto, emulator, loop, tls_only=True)
    task, _ = run_export(emulator, deployment, hours=1)
    assert (task.status, task.error.operation, task.error.code) == ("ERROR", "PutObject", "AccessDenied")
    with tls_client_view_of_bucket_policies():
        task, _ = run_export(emulator, deployment, hours=1, path="analytics/tls/")
    assert task.status == "FINISHED", task.error
    assert object_keys(moto, loop.admin, deployment.bucket, "analytics/tls/") == [
        "analytics/tls/2026-03-01-10-00.csv"
    ]


def test_without_an_aws_endpoint_tasks_finish_without_writing(moto, loop, emulator):
    deployment = deploy(moto, emulator, loop)
    emulator.options.exports.aws = None
    task, _ = run_export(emulator, deployment, hours=1)
    assert task.status == "FINISHED"
    assert object_keys(moto, loop.admin, deployment.bucket) == []


def test_license_key_is_not_logged(moto, loop, emulator):
    deployment = deploy(moto, emulator, loop)
    run_export(emulator, deployment, hours=1)
    assert LICENSE not in repr(list(emulator.requests))


def test_emulator_command_acts_as_bitmovin(moto, loop, tmp_path):
    """``python -m dev.bitmovin_emulator --aws-endpoint-url``: Bitmovin's keys from its environment variables,
    the trust-policy reader from the standard AWS ones."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "EMULATOR_BITMOVIN_AWS_ACCESS_KEY_ID": loop.bitmovin.access_key_id,
        "EMULATOR_BITMOVIN_AWS_SECRET_ACCESS_KEY": loop.bitmovin.secret_access_key,
        "AWS_ACCESS_KEY_ID": loop.admin.access_key_id,
        "AWS_SECRET_ACCESS_KEY": loop.admin.secret_access_key,
    }
    command = [
        sys.executable,
        "-m",
        "dev.bitmovin_emulator",
        "--aws-endpoint-url",
        moto.url,
        "--aws-region",
        "eu-central-1",
        "--export-queue-seconds",
        "0",
        "--export-hour-seconds",
        "0",
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        base_url = process.stdout.readline().strip()
        client = BitmovinClient("cli-key", base_url=base_url, tenant_org_id=ORG)
        deployment = deploy(
            moto,
            None,
            loop,
            bucket="cli-bucket",
            create_output=lambda fields, org: client.create_output(fields),
        )
        tasks = ExportTasksClient(client)
        task = tasks.create(
            ExportTaskRequest(
                name="cli",
                start_time=START,
                end_time=START + timedelta(hours=1),
                output_id=deployment.output_id,
                output_path="analytics/cli/",
                license_key=LICENSE,
            )
        )
        for _ in range(4):
            task = tasks.get(task.id)
            if task.terminal:
                break
        assert task.status == "FINISHED", task.error
        assert object_keys(moto, loop.admin, "cli-bucket") == ["analytics/cli/2026-03-01-10-00.csv"]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


def test_actor_config_keeps_secrets_out_of_repr(moto, loop):
    config = actor_config(moto, loop)
    assert loop.bitmovin.secret_access_key not in repr(config)
    assert loop.admin.secret_access_key not in repr(config)
    assert loop.bitmovin.access_key_id in repr(config)


def test_file_name_pattern_format_and_path_are_honoured(moto, loop, emulator):
    """The file name pattern is UNCONFIRMED, hence a switch; PARQUET changes the extension; a leading
    slash in outputPath does not create an empty path segment."""
    deployment = deploy(moto, emulator, loop)
    emulator.options.exports.file_name = "%Y/%m/%d/%H"
    client = tasks_client(emulator, deployment)
    task = client.create(
        ExportTaskRequest(
            name="parquet",
            start_time=START,
            end_time=START + timedelta(minutes=90),  # overlaps two clock hours: two files
            output_id=deployment.output_id,
            output_path="/analytics/parquet",
            license_key=LICENSE,
            file_format="PARQUET",
        )
    )
    for _ in range(5):
        task = client.get(task.id)
        if task.terminal:
            break
    assert task.status == "FINISHED", task.error
    assert object_keys(moto, loop.admin, deployment.bucket) == [
        "analytics/parquet/2026/03/01/10.parquet",
        "analytics/parquet/2026/03/01/11.parquet",
    ]
