"""Layer 6: the whole program switches its own output to ``existingOutputId`` through the real engine.

The AWS resources run on the aws stand-in (moto), as in ``test_whole_program``; the output in the
dynamic-provider host against the Bitmovin emulator. Proves, for the real component rather than the
provider-only project of ``test_output_moves``: a switch to another output is refused before anything
changes, the switch to the stack's own output deletes nothing in Bitmovin or AWS and keeps the stack
outputs, and ``destroy`` then leaves the output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dev.support.engine import skip_without_engine
from dev.support.whole_program import REGION, whole_program

pytestmark = [pytest.mark.layer6, skip_without_engine()]

REFERENCE_TYPE = "bitmovin:AnalyticsOutputReference"
OWNED_TYPE = "bitmovin:AnalyticsS3RoleBasedOutput"


def test_the_program_switches_its_own_output_to_a_reference_without_deleting_anything(tmp_path: Path):
    import boto3

    with whole_program(tmp_path) as run:
        stack, emulator, moto = run.stack, run.emulator, run.moto
        stack.up()
        before = stack.outputs()
        own = before["outputId"]
        other = emulator.outputs.create(
            {"name": "by hand", "bucketName": before["bucketName"], "roleArn": before["roleArn"]}
        )["id"]

        # existingOutputId cannot be combined with the bucket keys: the stack file sets one.
        stack.ok("config", "rm", *stack.stack_args(), "retainBucketOnDestroy")
        stack.config_set("existingOutputId", other)
        emulator.requests.clear()
        refused = stack.fails("preview", *stack.stack_args())
        assert f"existingOutputId names another output, {other}" in refused
        assert f"`pulumi config set existingOutputId {own}`" in refused
        assert [r.route for r in emulator.requests if r.route != "account_information"] == []

        stack.config_set("existingOutputId", own)
        switched = stack.up()
        # The role and its policy stay as they are; the bucket and its settings leave the state only.
        steps = [line for line in switched.splitlines() if line.startswith((" ~  ", " +  ", " -  ", " +- "))]
        assert not [line for line in steps if "aws:iam:" in line]
        removed = [line for line in steps if line.startswith(" -  aws:")]
        assert removed
        assert all(line.rstrip().endswith("[retain]") for line in removed), removed
        assert emulator.requests.filter(route="delete") == []
        assert emulator.outputs.get(own) is not None
        assert [r["id"] for r in stack.resources(REFERENCE_TYPE)] == [own]
        assert stack.resources(OWNED_TYPE) == []
        after = stack.outputs()
        for key in ("outputId", "externalId", "roleArn", "roleName", "bucketName"):
            assert after[key] == before[key], key
        aws = {"endpoint_url": moto.url, "region_name": REGION}
        keys = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        boto3.client("s3", **aws, **keys).head_bucket(Bucket=before["bucketName"])  # kept, as on destroy
        boto3.client("iam", **aws, **keys).get_role(RoleName=before["roleName"])
        stack.up("--expect-no-changes")

        emulator.requests.clear()
        stack.ok("destroy", *stack.stack_args(), "--yes", "--skip-preview")
        assert emulator.requests.filter(route="delete") == []
        assert emulator.outputs.get(own) is not None
