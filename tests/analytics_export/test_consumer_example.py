"""Layer 4: ``examples/consumer`` under Pulumi mocks, reading a stand-in export stack's outputs.

Proves what the consumer program registers from the outputs this project exports: the stack it
references, a Glue database and crawler over exactly the export prefix in the bucket's region, a role
that only Glue may assume, and that a missing or hostile output stops the run before anything is
created. The outputs given to the stand-in are the names of this project's contract (README, "Stack
outputs"), checked against ``__main__.py``'s exports below.
"""

from __future__ import annotations

import functools
import importlib.util
import json

import pytest

from analytics_export.stack_outputs import STACK_OUTPUTS
from dev.support.program_harness import CONSUMER_ACCOUNT, CONSUMER_DIR, ConsumerRun, run_consumer
from dev.support.testing import ORG_ID

pytestmark = pytest.mark.layer4

EXPORT_STACK = "my-org/bitmovin-analytics-export/acme-prod"
BUCKET = "bitmovin-analytics-acme-prod-123456789012"
OUTPUTS = {
    "outputId": "0f5f8b0e-3d2b-4a8e-9f7e-2a6c1b0d9e4f",
    "externalId": "c0ffee00-1111-2222-3333-444455556666",
    "externalIdMode": "GLOBAL",
    "roleArn": "arn:aws:iam::123456789012:role/bitmovin-analytics-export-acme-prod",
    "roleName": "bitmovin-analytics-export-acme-prod",
    "bucketName": BUCKET,
    "bucketArn": f"arn:aws:s3:::{BUCKET}",
    "region": "eu-west-1",
    "tenantOrgId": ORG_ID,
    "exportPrefix": "analytics/",
}
CONFIG = {"exportStack": EXPORT_STACK, "crawlerSchedule": "cron(15 3 * * ? *)"}
CRAWLER = "aws:glue/crawler:Crawler"
DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PROVIDER = "pulumi:providers:aws"


def load_access():
    spec = importlib.util.spec_from_file_location("crawler_access", CONSUMER_DIR / "crawler_access.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def default_run() -> ConsumerRun:
    return run_consumer(CONFIG, OUTPUTS, secret_outputs=("externalId",))


def test_the_stand_in_outputs_are_this_projects_contract():
    """If the program renames or drops an export (``analytics_export.stack_outputs``, which __main__.py
    exports: tests/analytics_export/test_program.py), this test (and the README table) must change too."""
    exported = {output.name for output in STACK_OUTPUTS}
    assert exported == set(OUTPUTS)


def test_reads_the_named_export_stack_and_requires_the_outputs_it_uses():
    run = default_run()
    assert run.error is None, run.stderr
    assert run.references == [EXPORT_STACK]
    source = (CONSUMER_DIR / "__main__.py").read_text()
    assert "get_output(" not in source  # get_output yields None for a missing name; require_output fails
    for name in ("bucketName", "exportPrefix", "region"):
        assert f'require_output("{name}")' in source


def test_crawler_covers_exactly_the_export_prefix():
    run = default_run()
    crawler = run.one(CRAWLER)["inputs"]
    assert crawler["s3Targets"] == [{"path": f"s3://{BUCKET}/analytics/", "exclusions": ["verify/**"]}]
    assert crawler["databaseName"] == "bitmovin_analytics_acme_prod"
    assert crawler["role"] == run.stack_outputs["crawlerRoleArn"]
    assert crawler["schedule"] == "cron(15 3 * * ? *)"
    assert crawler["recrawlPolicy"] == {"recrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert crawler["schemaChangePolicy"] == {"deleteBehavior": "LOG", "updateBehavior": "LOG"}
    assert run.stack_outputs == {
        "databaseName": "bitmovin_analytics_acme_prod",
        "crawlerName": "exports-abc",
        "crawlerRoleArn": f"arn:aws:iam::{CONSUMER_ACCOUNT}:role/crawler-abc",
        "exportLocation": f"s3://{BUCKET}/analytics/",
    }


@pytest.mark.parametrize("prefix", ["analytics/", ""])
def test_the_crawler_skips_the_test_exports_of_verify(prefix):
    """`python -m verify --export` writes real export files; they must not become tables. (Glue
    patterns are globs where `**` crosses folders; fnmatch's `*` does too, so it judges them alike.)"""
    from datetime import UTC, datetime
    from fnmatch import fnmatchcase

    from verify.export_check import VERIFY_FOLDER, ExportProof, ExportSettings
    from verify.stack import deployment_from

    outputs = {**OUTPUTS, "exportPrefix": prefix}
    run = default_run() if prefix == "analytics/" else run_consumer(CONFIG, outputs)
    (target,) = run.one(CRAWLER)["inputs"]["s3Targets"]
    # The path verify creates its export task with, as it builds it.
    sent = []

    class Tasks:
        def create(self, request):
            sent.append(request.output_path)
            raise ValueError("stop here")

    d = deployment_from(outputs, {}, stack="acme-prod", project="bitmovin-analytics-export")
    now = datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC)
    ExportProof(Tasks(), None, d, ExportSettings("license"), lambda: None, now=lambda: now).run()
    (path,) = sent
    assert path.startswith(prefix + VERIFY_FOLDER)
    key = f"{path}2026-03-01-10-00.csv"
    assert f"s3://{BUCKET}/{key}".startswith(target["path"])  # inside what the crawler reads ...
    relative = key.removeprefix(prefix)
    assert any(fnmatchcase(relative, pattern) for pattern in target["exclusions"])  # ... but excluded
    assert not any(fnmatchcase("2026-03-01-10-00.csv", p) for p in target["exclusions"])  # real exports stay
    assert not any(fnmatchcase("verifying/2026.csv", p) for p in target["exclusions"])


def test_everything_is_created_in_the_export_buckets_region():
    run = default_run()
    provider = run.one(PROVIDER)
    assert provider["inputs"]["region"] == "eu-west-1"
    for resource in run.resources:
        if resource["type"] != PROVIDER:
            assert "pulumi:providers:aws::export-region" in resource["provider"], resource["name"]


def test_the_role_is_for_glue_only_and_reads_only_under_the_prefix():
    run = default_run()
    trust = json.loads(run.one(ROLE)["inputs"]["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "glue.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": CONSUMER_ACCOUNT}}
    policy = json.loads(run.one(ROLE_POLICY)["inputs"]["policy"])
    assert policy == load_access().crawler_policy(
        "aws", "eu-west-1", CONSUMER_ACCOUNT, BUCKET, "analytics/", "bitmovin_analytics_acme_prod"
    )
    s3 = [s for s in policy["Statement"] if str(s["Action"]).startswith("s3:")]
    assert {s["Action"] for s in s3} == {"s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject"}
    read = next(s for s in s3 if s["Action"] == "s3:GetObject")
    assert read["Resource"] == f"arn:aws:s3:::{BUCKET}/analytics/*"
    listing = next(s for s in s3 if s["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["analytics/*"]}}


def test_the_crawler_waits_for_its_permissions():
    """A crawler created before its role policy would fail its first run with AccessDenied."""
    run = default_run()
    names = [(r["type"], r["name"]) for r in run.resources]
    assert names.index((ROLE_POLICY, "crawler-read-exports")) < names.index((CRAWLER, "exports"))


def test_secret_outputs_of_the_export_stay_out_of_the_consumer():
    run = default_run()
    everything = json.dumps([run.resources, run.stack_outputs])
    assert OUTPUTS["externalId"] not in everything


def test_whole_bucket_exports_read_the_whole_bucket_only():
    run = run_consumer(CONFIG, {**OUTPUTS, "exportPrefix": ""})
    assert run.error is None, run.stderr
    assert run.one(CRAWLER)["inputs"]["s3Targets"] == [
        {"path": f"s3://{BUCKET}/", "exclusions": ["verify/**"]}
    ]
    policy = json.loads(run.one(ROLE_POLICY)["inputs"]["policy"])
    listing = next(s for s in policy["Statement"] if s["Action"] == "s3:ListBucket")
    assert "Condition" not in listing
    read = next(s for s in policy["Statement"] if s["Action"] == "s3:GetObject")
    assert read["Resource"] == f"arn:aws:s3:::{BUCKET}/*"


NO_EXPORT_STACK = {key: value for key, value in CONFIG.items() if key != "exportStack"}
WITHOUT_PREFIX = {key: value for key, value in OUTPUTS.items() if key != "exportPrefix"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (NO_EXPORT_STACK, "exportStack must be <organization>/<project>/<stack>, got None"),
        ({**CONFIG, "exportStack": "acme-prod"}, "`pulumi config set exportStack my-org/"),
        ({**CONFIG, "databaseName": "Bad-Name"}, "databaseName must be 1-255 lowercase letters"),
        ({**CONFIG, "kmsKeyArn": "alias/aws/s3"}, "kmsKeyArn must be a KMS key ARN"),
    ],
)
def test_bad_config_stops_the_run_before_anything_is_registered(config, message):
    run = run_consumer(config, OUTPUTS)
    assert run.error is not None
    assert message in run.error
    assert run.resources == []
    assert run.references == []


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        (WITHOUT_PREFIX, "exportPrefix"),
        ({**OUTPUTS, "exportPrefix": "*"}, "exportPrefix output is not a plain key prefix: '*'"),
        ({**OUTPUTS, "exportPrefix": "a/../b/"}, "exportPrefix output is not a plain key prefix"),
        ({**OUTPUTS, "exportPrefix": "/analytics/"}, "exportPrefix output is not a plain key prefix"),
        ({**OUTPUTS, "bucketName": "x*"}, "bucketName output is not an S3 bucket name: 'x*'"),
    ],
)
def test_a_missing_or_hostile_output_fails_the_run(outputs, message):
    run = run_consumer(CONFIG, outputs)
    assert run.error is not None
    assert message in run.error or message in run.stderr
    # nothing that reads the bucket is registered with a widened or missing location
    assert not {ROLE_POLICY, CRAWLER} & {resource["type"] for resource in run.resources}


def test_kms_key_is_used_only_through_s3():
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    run = run_consumer({**CONFIG, "kmsKeyArn": key}, OUTPUTS)
    assert run.error is None, run.stderr
    policy = json.loads(run.one(ROLE_POLICY)["inputs"]["policy"])
    decrypt = next(s for s in policy["Statement"] if s["Action"] == "kms:Decrypt")
    assert decrypt["Resource"] == key
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
