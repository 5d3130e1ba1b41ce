"""Layer 5: what the generated IAM and S3 policies mean, judged offline.

* parliament lints the role's permission policy and the TLS-only bucket policy (it cannot read trust
  policies: without a Resource it reports MALFORMED);
* moto's own validators check the syntax of the permission and trust policies;
* what the permission policy lets the role do, end to end: moto serves the API (a real AssumeRole *in
  the same account* with the external ID, then S3 calls with the assumed credentials) and
  dev/support/iam_model.py decides every authorization (dev/support/model_authorizer.py), with AWS's
  action for each S3 call and the condition keys S3 passes: so ``s3:prefix`` on listing and the ACL
  conditions are proven here too. moto's own authorizer is not relied on (docs/iam-model.md): it
  ignores those conditions, and 5.2.6 checks ListObjectsV2 as ``s3:ListObjectsV2``
  (tests/iam/test_moto_fidelity.py is the canary).
* the trust policy's meaning (principal, action, external-ID condition) is asserted on its structure
  and judged by the model's trust evaluation.
* hardening (docs/hardening.md): only literal prefixes are writable, a wildcard prefix would not be,
  and the ACL conditions keep every request an exporter needs.
* the model's evaluator gives moto's evaluator's verdict wherever moto's is faithful (actions and
  resources, no condition keys), and the harness hands it the action, resource and keys written
  out by hand in :func:`model_requests`, so the end-to-end verdicts rest on a checked evaluator.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import boto3
import parliament
import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.iam.exceptions import MalformedPolicyDocument
from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator

from analytics_export.policies import BITMOVIN_PRINCIPAL, tls_only_bucket_policy, trust_policy, write_policy
from dev.support import iam_model
from dev.support.model_authorizer import enforced_by_model
from dev.support.program_harness import MOCK_ACCOUNT, ProgramRun, run_program
from dev.support.testing import BUCKET, EXTERNAL_ID, KMS_KEY_ARN, allowed, assume_role_user, assumed_s3_client

pytestmark = pytest.mark.layer5

REGION = "eu-central-1"
OTHER_BUCKET = "someone-elses-bucket"
VARIANTS = {
    "prefix": ("analytics/", None),
    "no_prefix": ("", None),
    "nested_prefix": ("exports/bitmovin/", None),
    "prefix_kms": ("analytics/", KMS_KEY_ARN),
    "no_prefix_kms": ("", KMS_KEY_ARN),
}


def findings(document: dict, **kwargs: Any) -> list[tuple[str, Any]]:
    policy = parliament.analyze_policy_string(json.dumps(document), **kwargs)
    return [(finding.issue, finding.detail) for finding in policy.findings]


# -- parliament ------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("partition", ["aws", "aws-cn"])
def test_permission_policy_passes_parliament(variant, partition):
    prefix, kms = VARIANTS[variant]
    if kms and partition != "aws":
        kms = kms.replace("arn:aws:", f"arn:{partition}:")
    region = "cn-north-1" if partition == "aws-cn" else REGION
    if kms and partition != "aws":
        kms = kms.replace(REGION, region)
    assert findings(write_policy(partition, BUCKET, prefix, kms, region=region)) == []


def test_tls_only_bucket_policy_passes_parliament():
    assert findings(tls_only_bucket_policy("aws", BUCKET)) == []


def test_parliament_is_live():
    """The linter does flag the classic mistakes, so 'no findings' above means something."""
    document = write_policy("aws", BUCKET, "analytics/")
    swapped = json.loads(json.dumps(document))
    swapped["Statement"][2]["Resource"] = f"arn:aws:s3:::{BUCKET}"  # PutObject on the bucket ARN
    assert "RESOURCE_MISMATCH" in {issue for issue, _ in findings(swapped)}
    misspelled = json.loads(json.dumps(document))
    misspelled["Statement"][2]["Action"] = ["s3:PutObjekt"]
    assert "UNKNOWN_ACTION" in {issue for issue, _ in findings(misspelled)}


def test_community_auditors_only_note_put_object_acl():
    """s3:PutObjectAcl counts as permissions management; Bitmovin documents it as required (it may
    send x-amz-acl); the policy lets it set only the canned ACLs private and bucket-owner-full-control
    (tests/iam/test_policy_meaning.py), and on a BucketOwnerEnforced bucket it cannot grant anything."""
    issues = {
        issue
        for issue, _ in findings(write_policy("aws", BUCKET, "analytics/"), include_community_auditors=True)
    }
    assert issues <= {"PERMISSIONS_MANAGEMENT_ACTIONS"}


# -- moto validators -------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_permission_policy_is_valid_iam_syntax(variant):
    prefix, kms = VARIANTS[variant]
    IAMPolicyDocumentValidator(json.dumps(write_policy("aws", BUCKET, prefix, kms, region=REGION))).validate()


def test_trust_policy_is_valid_trust_syntax():
    IAMTrustPolicyDocumentValidator(json.dumps(trust_policy(EXTERNAL_ID))).validate()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s.update(Resource="*"),
        lambda s: s.update(Action="s3:PutObject"),
        lambda s: s.update(Effect="allow"),
    ],
)
def test_trust_validator_is_live(mutate):
    document = trust_policy(EXTERNAL_ID)
    mutate(document["Statement"][0])
    with pytest.raises(MalformedPolicyDocument):
        IAMTrustPolicyDocumentValidator(json.dumps(document)).validate()


# -- trust policy meaning, asserted on its structure -------------------------------------------------


def assert_trusts_only_bitmovin_with(
    document: dict, external_id: str, principal: str = BITMOVIN_PRINCIPAL
) -> None:
    assert document["Version"] == "2012-10-17"
    (statement,) = document["Statement"]
    assert set(statement) == {"Sid", "Effect", "Principal", "Action", "Condition"}
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": principal}  # one principal, no wildcard, no account root
    assert statement["Action"] == "sts:AssumeRole"  # not TagSession, not AssumeRoleWithWebIdentity
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": external_id}}
    assert external_id
    assert "*" not in external_id
    assert "?" not in external_id


def test_trust_policy_requires_bitmovin_and_the_external_id():
    assert_trusts_only_bitmovin_with(trust_policy(EXTERNAL_ID), EXTERNAL_ID)
    assert BITMOVIN_PRINCIPAL == "arn:aws:iam::630681592166:user/bitmovinCustomerS3Access"


# -- moto: what the assumed role may do ----------------------------------------------------------------


def assume_writer_role(bucket: str, permission_policy: str) -> Any:
    """Buckets, a same-account stand-in for Bitmovin's user, the role with ``permission_policy``;
    returns the stand-in's keys and the role's ARN (assume it inside ``enforced_by_model``)."""
    iam, s3 = boto3.client("iam"), boto3.client("s3", region_name=REGION)
    account = boto3.client("sts").get_caller_identity()["Account"]
    for name in (bucket, OTHER_BUCKET):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    keys = assume_role_user(iam, "bitmovin-stand-in")
    trust = trust_policy(EXTERNAL_ID, f"arn:aws:iam::{account}:user/bitmovin-stand-in")
    role = iam.create_role(RoleName="bitmovin-writer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="bitmovin-writer", PolicyName="write", PolicyDocument=permission_policy)
    return keys, role["Arn"]


def role_s3_client(keys: dict, role_arn: str) -> Any:
    return assumed_s3_client(
        keys, REGION, RoleArn=role_arn, RoleSessionName="bitmovin-export", ExternalId=EXTERNAL_ID
    )


def probe(s3: Any, bucket: str, prefix: str) -> dict[str, bool]:
    body = b"date,impressions\n2025-01-01,1\n"
    return {
        "put under prefix": allowed(
            lambda: s3.put_object(Bucket=bucket, Key=f"{prefix}2025/01/x.csv", Body=body)
        ),
        "put acl under prefix": allowed(
            lambda: s3.put_object_acl(Bucket=bucket, Key=f"{prefix}2025/01/x.csv", ACL="private")
        ),
        "put outside prefix": allowed(lambda: s3.put_object(Bucket=bucket, Key="elsewhere/x.csv", Body=body)),
        "put lookalike prefix": allowed(
            lambda: s3.put_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}-evil/x.csv", Body=body)
        ),
        "put other bucket": allowed(
            lambda: s3.put_object(Bucket=OTHER_BUCKET, Key=f"{prefix}x.csv", Body=body)
        ),
        "get": allowed(lambda: s3.get_object(Bucket=bucket, Key=f"{prefix}2025/01/x.csv")),
        "delete": allowed(lambda: s3.delete_object(Bucket=bucket, Key=f"{prefix}2025/01/x.csv")),
        "bucket location": allowed(lambda: s3.get_bucket_location(Bucket=bucket)),
        "list prefix": allowed(lambda: s3.list_objects_v2(Bucket=bucket, Prefix=prefix)),
        "list outside prefix": allowed(lambda: s3.list_objects_v2(Bucket=bucket, Prefix="elsewhere/")),
        "put granting read": allowed(
            lambda: s3.put_object(
                Bucket=bucket, Key=f"{prefix}2025/01/y.csv", Body=body, GrantRead='id="0123456789abcdef"'
            )
        ),
        "list other bucket": allowed(lambda: s3.list_objects_v2(Bucket=OTHER_BUCKET)),
        "list all buckets": allowed(lambda: s3.list_buckets()),
        "change bucket policy": allowed(lambda: s3.put_bucket_policy(Bucket=bucket, Policy="{}")),
        "delete bucket": allowed(lambda: s3.delete_bucket(Bucket=bucket)),
    }


EXPECTED_WITH_PREFIX = {
    "put under prefix": True,
    "put acl under prefix": True,
    "put outside prefix": False,
    "put lookalike prefix": False,
    "put other bucket": False,
    "get": False,
    "delete": False,
    "bucket location": True,
    "list prefix": True,
    "list outside prefix": False,  # s3:prefix (moto 5.2.5 allowed it: it ignores the condition)
    "put granting read": False,  # the ACL conditions (moto allows it)
    "list other bucket": False,
    "list all buckets": False,
    "change bucket policy": False,
    "delete bucket": False,
}


@pytest.mark.parametrize("variant", ["prefix", "nested_prefix", "prefix_kms"])
def test_assumed_role_writes_only_under_the_prefix(aws, variant):
    prefix, kms = VARIANTS[variant]
    keys, role_arn = assume_writer_role(
        BUCKET, json.dumps(write_policy("aws", BUCKET, prefix, kms, region=REGION))
    )
    with enforced_by_model():
        s3 = role_s3_client(keys, role_arn)
        assert probe(s3, BUCKET, prefix) == EXPECTED_WITH_PREFIX


def test_assumed_role_without_prefix_writes_anywhere_in_its_bucket_only(aws):
    keys, role_arn = assume_writer_role(BUCKET, json.dumps(write_policy("aws", BUCKET, "")))
    with enforced_by_model():
        s3 = role_s3_client(keys, role_arn)
        result = probe(s3, BUCKET, "")
    assert result == {
        **EXPECTED_WITH_PREFIX,
        "put outside prefix": True,  # no prefix: the whole bucket is the export area
        "put lookalike prefix": True,
        "list outside prefix": True,
    }


def test_the_role_is_assumed_only_with_the_external_id(aws):
    """The trust policy's external-ID condition, judged by the model when moto's STS is called."""
    keys, role_arn = assume_writer_role(BUCKET, json.dumps(write_policy("aws", BUCKET, "analytics/")))
    with enforced_by_model() as judge:
        assert allowed(lambda: role_s3_client(keys, role_arn))
        for external_id in (None, "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"):
            arguments = {"RoleArn": role_arn, "RoleSessionName": "bitmovin-export"}
            if external_id:
                arguments["ExternalId"] = external_id
            assert not allowed(lambda arguments=arguments: assumed_s3_client(keys, REGION, **arguments))
    assume = [d for d in judge.decisions if d.action == "sts:AssumeRole"]
    assert [d.allowed for d in assume] == [True, False, False]
    assert assume[0].context == {"sts:ExternalId": EXTERNAL_ID}


# -- the exact text the program sends to AWS -------------------------------------------------------------


@functools.cache
def program_run() -> ProgramRun:
    run = run_program({"aws:region": REGION, "exportPrefix": "analytics/", "kmsKeyArn": KMS_KEY_ARN})
    assert run.ok, run.error
    return run


def program_policy(type_: str, key: str = "policy") -> str:
    return program_run().one(type_).inputs[key]


def test_program_policies_pass_parliament_and_validators():
    permission = program_policy("aws:iam/rolePolicy:RolePolicy")
    bucket_policy = program_policy("aws:s3/bucketPolicy:BucketPolicy")
    trust = program_policy("aws:iam/role:Role", "assumeRolePolicy")
    assert findings(json.loads(permission)) == []
    assert findings(json.loads(bucket_policy)) == []
    IAMPolicyDocumentValidator(permission).validate()
    IAMTrustPolicyDocumentValidator(trust).validate()
    assert_trusts_only_bitmovin_with(json.loads(trust), program_run().stack_outputs["externalId"])


def test_program_permission_policy_judged_end_to_end(aws):
    bucket = f"bitmovin-analytics-dev-{MOCK_ACCOUNT}"
    keys, role_arn = assume_writer_role(bucket, program_policy("aws:iam/rolePolicy:RolePolicy"))
    with enforced_by_model():
        s3 = role_s3_client(keys, role_arn)
        assert probe(s3, bucket, "analytics/") == EXPECTED_WITH_PREFIX


# -- hardening: literal prefixes and ACLs with IAM enforced (docs/hardening.md) -------------------------

# Prefixes end to end (moto's API, the model's decisions); '.', '(' and ')', which moto's own resource
# matcher would misjudge, included.
LITERAL_PREFIXES = ("a/", "exports_2024/", "team-a/bitmovin/", "x!y'z/", "v1.0/", "(a)/")


def lookalike_keys(prefix: str) -> list[str]:
    """Keys a widened policy would reach: siblings, parents, case and wildcard variants."""
    stem = prefix.rstrip("/")
    parent = stem.rsplit("/", 1)[0] + "/" if "/" in stem else ""
    return [
        f"{stem}-private/x.csv",
        f"{stem}x/x.csv",
        f"{stem[:-1] or 'b'}/x.csv",
        f"{stem.upper()}/x.csv" if stem.upper() != stem else "OTHER/x.csv",
        f"{parent}other/x.csv",
        "x.csv",
        f"*/{prefix}x.csv",
    ]


@pytest.mark.parametrize("prefix", LITERAL_PREFIXES)
def test_assumed_role_writes_only_under_the_literal_prefix(aws, prefix):
    keys, role_arn = assume_writer_role(BUCKET, json.dumps(write_policy("aws", BUCKET, prefix)))
    body = b"x"
    with enforced_by_model():
        s3 = role_s3_client(keys, role_arn)
        assert allowed(lambda: s3.put_object(Bucket=BUCKET, Key=f"{prefix}2025/x.csv", Body=body))
        for key in lookalike_keys(prefix):
            assert not key.startswith(prefix)
            assert not allowed(lambda key=key: s3.put_object(Bucket=BUCKET, Key=key, Body=body)), key


@pytest.mark.parametrize(("prefix", "outside"), [("a*/", "a-private/x.csv"), ("*/", "finance/x.csv")])
def test_a_wildcard_prefix_would_let_the_role_write_elsewhere(aws, prefix, outside):
    """The attack, shown with IAM enforced: the unvalidated policy text lets the role write outside
    the folder the lifecycle rule expires; write_policy refuses to build it."""
    widened = json.loads(json.dumps(write_policy("aws", BUCKET, "analytics/")))
    for statement in widened["Statement"][2:]:
        statement["Resource"] = f"arn:aws:s3:::{BUCKET}/{prefix}*"
        statement.pop("Condition")
    keys, role_arn = assume_writer_role(BUCKET, json.dumps(widened))
    with enforced_by_model():
        s3 = role_s3_client(keys, role_arn)
        assert allowed(lambda: s3.put_object(Bucket=BUCKET, Key=outside, Body=b"x"))
    with pytest.raises(ValueError, match="wildcard"):
        write_policy("aws", BUCKET, prefix)


def test_the_exporter_can_still_write_with_or_without_an_allowed_acl(aws):
    """The ACL conditions leave every request an exporter needs allowed, and refuse a public one."""
    keys, role_arn = assume_writer_role(BUCKET, json.dumps(write_policy("aws", BUCKET, "analytics/")))
    key = "analytics/2025/x.csv"
    with enforced_by_model():
        s3 = role_s3_client(keys, role_arn)
        assert allowed(lambda: s3.put_object(Bucket=BUCKET, Key=key, Body=b"x"))
        for acl in ("private", "bucket-owner-full-control"):
            assert allowed(lambda acl=acl: s3.put_object(Bucket=BUCKET, Key=key, Body=b"x", ACL=acl))
            assert allowed(lambda acl=acl: s3.put_object_acl(Bucket=BUCKET, Key=key, ACL=acl))
        assert not allowed(
            lambda: s3.put_object(Bucket=BUCKET, Key="elsewhere/x.csv", Body=b"x", ACL="private")
        )
        assert not allowed(lambda: s3.put_object(Bucket=BUCKET, Key=key, Body=b"x", ACL="public-read"))


def model_requests(bucket: str, prefix: str) -> dict[str, tuple[str, str, dict[str, str]]]:
    """The requests of :func:`probe` as (action, resource, condition keys), for dev/support/iam_model.py."""
    objects = f"arn:aws:s3:::{bucket}/"
    return {
        "put under prefix": ("s3:PutObject", f"{objects}{prefix}2025/01/x.csv", {}),
        "put acl under prefix": (
            "s3:PutObjectAcl",
            f"{objects}{prefix}2025/01/x.csv",
            {"s3:x-amz-acl": "private"},
        ),
        "put outside prefix": ("s3:PutObject", f"{objects}elsewhere/x.csv", {}),
        "put lookalike prefix": ("s3:PutObject", f"{objects}{prefix.rstrip('/')}-evil/x.csv", {}),
        "put other bucket": ("s3:PutObject", f"arn:aws:s3:::{OTHER_BUCKET}/{prefix}x.csv", {}),
        "get": ("s3:GetObject", f"{objects}{prefix}2025/01/x.csv", {}),
        "delete": ("s3:DeleteObject", f"{objects}{prefix}2025/01/x.csv", {}),
        "bucket location": ("s3:GetBucketLocation", f"arn:aws:s3:::{bucket}", {}),
        "list prefix": ("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": prefix}),
        "list outside prefix": ("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": "elsewhere/"}),
        "put granting read": (
            "s3:PutObject",
            f"{objects}{prefix}2025/01/y.csv",
            {"s3:x-amz-grant-read": 'id="0123456789abcdef"'},
        ),
        "list other bucket": ("s3:ListBucket", f"arn:aws:s3:::{OTHER_BUCKET}", {}),
        "list all buckets": ("s3:ListAllMyBuckets", "*", {}),
        "change bucket policy": ("s3:PutBucketPolicy", f"arn:aws:s3:::{bucket}", {}),
        "delete bucket": ("s3:DeleteBucket", f"arn:aws:s3:::{bucket}", {}),
    }


@pytest.mark.parametrize("prefix", ["analytics/", "exports_2024/"])
def test_the_model_decides_each_probe_with_the_request_written_out_by_hand(aws, prefix):
    """The harness hands the model exactly the action, resource and condition keys of
    :func:`model_requests` for each probe (a wrong mapping would make the verdicts above vacuous),
    and the model's verdicts on those requests are the expected ones."""
    document = write_policy("aws", BUCKET, prefix)
    keys, role_arn = assume_writer_role(BUCKET, json.dumps(document))
    with enforced_by_model() as judge:
        by_model_in_moto = probe(role_s3_client(keys, role_arn), BUCKET, prefix)
    decided = [(d.action, d.resource, dict(d.context)) for d in judge.decisions if d.action.startswith("s3:")]
    requests = model_requests(BUCKET, prefix)
    assert decided == list(requests.values())
    by_model = {label: iam_model.allowed(document, *request) for label, request in requests.items()}
    assert by_model == by_model_in_moto == EXPECTED_WITH_PREFIX


# Probes whose verdict depends on a condition key: moto's evaluator is never handed S3 keys.
NEEDS_CONDITION_KEYS = {"put acl under prefix", "list prefix", "list outside prefix", "put granting read"}


@pytest.mark.parametrize("prefix", ["analytics/", "exports_2024/"])
def test_the_iam_model_agrees_with_moto_where_moto_is_faithful(prefix):
    """On every probe whose verdict needs no condition key (actions, resources, wildcards), the model
    gives the verdict of moto's own policy evaluator, so the model's verdicts rest on a checked
    evaluator. Compared on (action, resource) directly: which action moto checks for an S3 call is not
    faithful in every release (tests/iam/test_moto_fidelity.py)."""
    document = write_policy("aws", BUCKET, prefix)
    compared = {k: v for k, v in model_requests(BUCKET, prefix).items() if k not in NEEDS_CONDITION_KEYS}
    assert len(compared) == 11
    by_moto = {
        label: IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)
        is PermissionResult.PERMITTED
        for label, (action, resource, _) in compared.items()
    }
    by_model = {label: iam_model.allowed(document, *request) for label, request in compared.items()}
    assert by_model == by_moto == {label: EXPECTED_WITH_PREFIX[label] for label in compared}
