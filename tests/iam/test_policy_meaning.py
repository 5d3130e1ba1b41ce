"""Layer 5: what the role policy means for ACLs, KMS and wildcards, judged by an independent model.

moto's own authorizer (which no test relies on for a decision, docs/iam-model.md) evaluates no
S3 or KMS condition key: its evaluator knows only ``StringEquals``, ignores every other operator and
is never handed ``s3:x-amz-acl``, ``s3:x-amz-grant-*``, ``kms:ViaService`` or
``kms:EncryptionContext:*`` (moto 5.2: ``moto/iam/policy_conditions.py``, ``moto/iam/utils.py``).
So the meaning of those conditions is judged here with ``dev/support/iam_model.py``, a small evaluator
written from the IAM User Guide, which is first checked against the documented examples and
against moto's evaluator wherever moto is faithful; the same model decides for moto in the end-to-end
tests (dev/support/model_authorizer.py), whose reading of S3 requests is checked here too. The condition key names are checked against the Service
Authorization Reference as bundled with parliament.
"""

from __future__ import annotations

import copy
import json

import parliament
import pytest

from analytics_export.policies import (
    ALLOWED_CANNED_ACLS,
    GRANT_CONDITION_KEYS,
    tls_only_bucket_policy,
    trust_policy,
    write_policy,
)
from dev.support.iam_model import (
    S3_OPERATION_ACTIONS,
    allowed,
    evaluate,
    evaluate_identity,
    evaluate_resource_policy,
    put_object_allowed,
    s3_authorizations,
    trust_allows,
    wildcard_match,
)
from dev.support.model_authorizer import s3_operation
from dev.support.testing import BUCKET, EXTERNAL_ID, KMS_KEY_ARN

pytestmark = pytest.mark.layer5

BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
PREFIX = "analytics/"
REGION = "eu-central-1"
OTHER_KEY = "arn:aws:kms:eu-central-1:123456789012:key/99999999-12ab-34cd-56ef-1234567890ab"
OBJECT = f"{BUCKET_ARN}/{PREFIX}2025/01/x.csv"
CANNED_ACLS = (
    "private",
    "public-read",
    "public-read-write",
    "aws-exec-read",
    "authenticated-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
)
GRANT_HEADERS = (
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
)
OTHER_ACCOUNT = 'id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"'


def policy(**kwargs) -> dict:
    return write_policy("aws", BUCKET, PREFIX, **kwargs)


# -- the model is live: documented examples -------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("arn:aws:s3:::b/a*", "arn:aws:s3:::b/a-private/x", True),
        ("arn:aws:s3:::b/a?/*", "arn:aws:s3:::b/ab/x", True),
        ("arn:aws:s3:::b/a?/*", "arn:aws:s3:::b/a/x", False),
        ("arn:aws:s3:::b/a.b/*", "arn:aws:s3:::b/axb/x", False),  # '.' is literal
        ("arn:aws:s3:::b/(x)/*", "arn:aws:s3:::b/(x)/y", True),
        ("arn:aws:s3:::b/A/*", "arn:aws:s3:::b/a/x", False),  # resources are case-sensitive
    ],
)
def test_model_wildcards(pattern, value, expected):
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": pattern}],
    }
    assert allowed(document, "s3:PutObject", value) is expected
    assert wildcard_match("s3:Put*", "S3:PUTOBJECT", ignore_case=True)


def test_model_policy_variables():
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/${*}/${aws:username}/*"}
        ],
    }
    assert allowed(document, "s3:PutObject", "arn:aws:s3:::b/*/alice/x", {"aws:username": "alice"})
    assert not allowed(document, "s3:PutObject", "arn:aws:s3:::b/z/alice/x", {"aws:username": "alice"})
    assert not allowed(document, "s3:PutObject", "arn:aws:s3:::b/*/alice/x")  # key missing


def test_model_conditions_and_precedence():
    base = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}
    cases = [
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),
        ({"StringEquals": {"k": "a"}}, {}, False),  # missing key fails a positive operator
        ({"StringEqualsIfExists": {"k": "a"}}, {}, True),
        ({"StringEqualsIfExists": {"k": "a"}}, {"k": "c"}, False),
        ({"StringNotEquals": {"k": "a"}}, {}, True),  # ... and passes a negated one
        ({"Null": {"k": "true"}}, {}, True),
        ({"Null": {"k": "true"}}, {"k": "x"}, False),
        ({"Null": {"k": "false"}}, {"k": "x"}, True),
        ({"StringLike": {"k": "a*"}}, {"K": "abc"}, True),  # key names are case-insensitive
        ({"StringEquals": {"k": "a"}, "Null": {"j": "true"}}, {"k": "a", "j": "1"}, False),  # AND
    ]
    for condition, context, expected in cases:
        document = {"Version": "2012-10-17", "Statement": [{**base, "Condition": condition}]}
        assert allowed(document, "s3:PutObject", "arn:aws:s3:::b/k", context) is expected, condition
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    both = {"Version": "2012-10-17", "Statement": [base, deny]}
    assert evaluate(both, "s3:PutObject", "arn:aws:s3:::b/k") == "explicit-deny"
    assert evaluate({"Version": "2012-10-17", "Statement": []}, "s3:PutObject", "x") == "implicit-deny"
    unknown = {**base, "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}
    with pytest.raises(NotImplementedError):
        allowed({"Version": "2012-10-17", "Statement": [unknown]}, "s3:PutObject", "x")


def test_model_bool_and_arn_operators():
    base = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}
    role = "arn:aws:iam::123456789012:role/x"
    cases = [
        ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "false"}, False),
        ({"Bool": {"aws:SecureTransport": "true"}}, {}, False),
        ({"BoolIfExists": {"aws:SecureTransport": "true"}}, {}, True),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}, {"aws:PrincipalArn": role}, True),
        (
            {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/*"}},
            {"aws:PrincipalArn": role},
            True,
        ),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/y"}}, {"aws:PrincipalArn": role}, False),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*"}}, {"aws:PrincipalArn": role}, False),  # 6 parts
        ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/y"}}, {"aws:PrincipalArn": role}, True),
    ]
    for condition, context, expected in cases:
        document = {"Version": "2012-10-17", "Statement": [{**base, "Condition": condition}]}
        assert allowed(document, "s3:PutObject", "arn:aws:s3:::b/k", context) is expected, condition


def test_model_combines_policies_bucket_policies_and_trust():
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:Get*", "Resource": "*"}]}
    assert evaluate_identity([allow, deny], "s3:GetObject", "arn:aws:s3:::b/k") == "explicit-deny"
    assert evaluate_identity([allow, deny], "s3:PutObject", "arn:aws:s3:::b/k") == "allow"
    assert evaluate_identity([], "s3:PutObject", "arn:aws:s3:::b/k") == "implicit-deny"
    tls = tls_only_bucket_policy("aws", BUCKET)
    for secure, expected in (("false", "explicit-deny"), ("true", "implicit-deny")):
        context = {"aws:SecureTransport": secure}
        assert evaluate_resource_policy(tls, None, "s3:PutObject", OBJECT, context) == expected
    user = "arn:aws:iam::630681592166:user/bitmovinCustomerS3Access"
    trust = trust_policy(EXTERNAL_ID, user)
    assert trust_allows(trust, user, {"sts:ExternalId": EXTERNAL_ID})
    assert not trust_allows(trust, user, {})
    assert not trust_allows(trust, user, {"sts:ExternalId": EXTERNAL_ID.upper()})
    assert not trust_allows(
        trust, "arn:aws:iam::630681592166:user/someone-else", {"sts:ExternalId": EXTERNAL_ID}
    )
    account = {**trust["Statement"][0], "Principal": {"AWS": "arn:aws:iam::630681592166:root"}}
    assert trust_allows({**trust, "Statement": [account]}, user, {"sts:ExternalId": EXTERNAL_ID})
    with pytest.raises(NotImplementedError):
        trust_allows(
            {**trust, "Statement": [{**account, "Principal": {"Service": "glue.amazonaws.com"}}]}, user, {}
        )


@pytest.mark.parametrize(
    ("method", "key", "query", "operation"),
    [
        ("GET", None, {"list-type": "2", "prefix": "a/"}, "ListObjectsV2"),
        ("GET", None, {"prefix": "a/"}, "ListObjects"),
        ("GET", None, {"location": ""}, "GetBucketLocation"),
        ("GET", None, {"publicAccessBlock": ""}, "GetPublicAccessBlock"),
        ("GET", None, {"encryption": ""}, "GetBucketEncryption"),
        ("HEAD", None, {}, "HeadBucket"),
        ("PUT", None, {}, "CreateBucket"),
        ("PUT", None, {"policy": ""}, "PutBucketPolicy"),
        ("DELETE", None, {}, "DeleteBucket"),
        ("PUT", "a/x", {}, "PutObject"),
        ("PUT", "a/x", {"acl": ""}, "PutObjectAcl"),
        ("HEAD", "a/x", {}, "HeadObject"),
        ("GET", "a/x", {"x-id": "GetObject"}, "GetObject"),
    ],
)
def test_the_harness_reads_s3_requests_as_the_api_reference_defines_them(method, key, query, operation):
    """dev/support/model_authorizer.py: HTTP request -> S3 operation (each operation's Request Syntax)."""
    assert s3_operation(method, BUCKET, key, query) == operation
    assert s3_operation("GET", None, None, {}) == "ListBuckets"
    for unknown in ({"uploads": ""}, {"uploadId": "1"}, {"tagging": "", "acl": ""}):
        with pytest.raises(NotImplementedError):
            s3_operation("POST" if "uploads" in unknown else "PUT", BUCKET, "a/x", unknown)


def test_each_s3_operation_needs_the_action_aws_documents():
    """S3 API Reference, "Permissions": the actions exist in the Service Authorization Reference
    (parliament's bundled copy); none is named after a List* API that has no action of its own."""
    actions = {
        f"s3:{privilege['privilege']}"
        for service in parliament.iam_definition
        if service["prefix"] == "s3"
        for privilege in service["privileges"]
    }
    assert set(S3_OPERATION_ACTIONS.values()) <= actions
    assert not {"s3:ListObjectsV2", "s3:ListObjects", "s3:HeadBucket", "s3:GetBucketEncryption"} & actions
    assert s3_authorizations("ListObjectsV2", BUCKET, None, {"list-type": "2", "prefix": "a/"}) == [
        ("s3:ListBucket", BUCKET_ARN, {"s3:prefix": "a/"})
    ]
    assert s3_authorizations("HeadBucket", BUCKET) == [("s3:ListBucket", BUCKET_ARN, {})]
    assert s3_authorizations("ListBuckets", None) == [("s3:ListAllMyBuckets", "*", {})]
    assert s3_authorizations("PutObject", BUCKET, "a/x", {}, {"X-Amz-Acl": "private"}) == [
        ("s3:PutObject", f"{BUCKET_ARN}/a/x", {"s3:x-amz-acl": "private"}),
        ("s3:PutObjectAcl", f"{BUCKET_ARN}/a/x", {"s3:x-amz-acl": "private"}),
    ]
    with pytest.raises(NotImplementedError):
        s3_authorizations("CopyObject", BUCKET, "a/x")


# -- item 2: ACLs ---------------------------------------------------------------------------------------


def test_put_without_any_acl_header_is_allowed():
    assert put_object_allowed(policy(), OBJECT, {})


@pytest.mark.parametrize("acl", CANNED_ACLS)
def test_put_with_a_canned_acl_only_private_or_owner_full_control(acl):
    assert put_object_allowed(policy(), OBJECT, {"x-amz-acl": acl}) is (acl in ALLOWED_CANNED_ACLS)


@pytest.mark.parametrize("header", GRANT_HEADERS)
def test_put_with_any_grant_header_is_denied(header):
    assert not put_object_allowed(policy(), OBJECT, {header: OTHER_ACCOUNT})
    assert not put_object_allowed(policy(), OBJECT, {"x-amz-acl": "private", header: OTHER_ACCOUNT})


@pytest.mark.parametrize("acl", CANNED_ACLS)
def test_put_object_acl_only_with_an_allowed_canned_acl(acl):
    context = {"s3:x-amz-acl": acl}
    assert allowed(policy(), "s3:PutObjectAcl", OBJECT, context) is (acl in ALLOWED_CANNED_ACLS)


def test_put_object_acl_with_an_xml_body_or_grants_is_denied():
    """An AccessControlPolicy body carries no condition key at all: it must not pass."""
    assert not allowed(policy(), "s3:PutObjectAcl", OBJECT, {})
    for header in GRANT_HEADERS:
        assert not allowed(policy(), "s3:PutObjectAcl", OBJECT, {f"s3:{header}": OTHER_ACCOUNT})


def test_acl_rules_do_not_widen_where_objects_may_go():
    outside = f"{BUCKET_ARN}/elsewhere/x.csv"
    assert not put_object_allowed(policy(), outside, {})
    assert not put_object_allowed(policy(), outside, {"x-amz-acl": "private"})
    assert not allowed(policy(), "s3:PutObjectAcl", outside, {"s3:x-amz-acl": "private"})


def test_the_old_unconditioned_policy_let_the_role_grant_read_to_any_account():
    """The defect this fixes, shown by the same model: no condition, any grant passed."""
    old = copy.deepcopy(policy())
    old["Statement"][2:] = [
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:PutObjectAcl"],
            "Resource": f"{BUCKET_ARN}/{PREFIX}*",
        }
    ]
    assert put_object_allowed(old, OBJECT, {"x-amz-grant-read": OTHER_ACCOUNT})
    assert not put_object_allowed(policy(), OBJECT, {"x-amz-grant-read": OTHER_ACCOUNT})


def test_grant_condition_keys_are_every_acl_key_aws_defines_for_both_actions():
    """Service Authorization Reference (parliament's bundled copy): the ACL keys of both actions."""
    wanted = {}
    for service in parliament.iam_definition:
        if service["prefix"] != "s3":
            continue
        for privilege in service["privileges"]:
            if privilege["privilege"] in ("PutObject", "PutObjectAcl"):
                keys = {k for r in privilege["resource_types"] for k in r["condition_keys"]}
                wanted[privilege["privilege"]] = {k for k in keys if k.startswith("s3:x-amz-grant-")}
    assert wanted["PutObject"] == wanted["PutObjectAcl"] == set(GRANT_CONDITION_KEYS)
    assert {f"s3:{header}" for header in GRANT_HEADERS} == set(GRANT_CONDITION_KEYS)


# -- item 3: KMS only through S3, in the bucket's region, for this bucket ----------------------------------

VIA_S3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}


@pytest.mark.parametrize(
    ("key", "context", "expected"),
    [
        (KMS_KEY_ARN, {**VIA_S3, "kms:EncryptionContext:aws:s3:arn": BUCKET_ARN}, True),  # bucket key on
        (KMS_KEY_ARN, {**VIA_S3, "kms:EncryptionContext:aws:s3:arn": f"{BUCKET_ARN}/{PREFIX}x"}, True),
        (KMS_KEY_ARN, {}, False),  # called directly, not through S3
        (KMS_KEY_ARN, {"kms:EncryptionContext:aws:s3:arn": BUCKET_ARN}, False),  # forged context, direct
        (KMS_KEY_ARN, {**VIA_S3}, False),  # no S3 encryption context
        (
            KMS_KEY_ARN,
            {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": BUCKET_ARN},
            False,
        ),
        (
            KMS_KEY_ARN,
            {"kms:ViaService": f"ec2.{REGION}.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": BUCKET_ARN},
            False,
        ),
        (
            KMS_KEY_ARN,
            {**VIA_S3, "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::someone-elses-bucket"},
            False,
        ),
        (KMS_KEY_ARN, {**VIA_S3, "kms:EncryptionContext:aws:s3:arn": f"{BUCKET_ARN}-evil"}, False),
        (KMS_KEY_ARN, {**VIA_S3, "kms:EncryptionContext:aws:s3:arn": f"{BUCKET_ARN}/elsewhere/x"}, False),
        (OTHER_KEY, {**VIA_S3, "kms:EncryptionContext:aws:s3:arn": BUCKET_ARN}, False),
    ],
)
@pytest.mark.parametrize("action", ["kms:GenerateDataKey", "kms:Decrypt"])
def test_kms_key_usable_only_by_s3_for_this_bucket(action, key, context, expected):
    document = policy(kms_key_arn=KMS_KEY_ARN, region=REGION)
    assert allowed(document, action, key, context) is expected


def test_kms_grants_no_other_kms_action():
    document = policy(kms_key_arn=KMS_KEY_ARN, region=REGION)
    context = {**VIA_S3, "kms:EncryptionContext:aws:s3:arn": BUCKET_ARN}
    for action in ("kms:Encrypt", "kms:ReEncryptFrom", "kms:CreateGrant", "kms:ScheduleKeyDeletion"):
        assert not allowed(document, action, KMS_KEY_ARN, context)


def test_the_old_unconditioned_kms_statement_allowed_direct_use():
    old = copy.deepcopy(policy(kms_key_arn=KMS_KEY_ARN, region=REGION))
    del old["Statement"][-1]["Condition"]
    assert allowed(old, "kms:Decrypt", KMS_KEY_ARN, {})
    assert not allowed(policy(kms_key_arn=KMS_KEY_ARN, region=REGION), "kms:Decrypt", KMS_KEY_ARN, {})


def test_kms_condition_keys_are_valid_for_both_actions():
    findings = parliament.analyze_policy_string(
        json.dumps(policy(kms_key_arn=KMS_KEY_ARN, region=REGION))
    ).findings
    assert [(f.issue, f.detail) for f in findings] == []


# -- item 1: a literal prefix covers exactly its own keys --------------------------------------------------


def test_a_wildcard_prefix_would_have_reached_other_folders():
    """What the refused prefixes would have meant; write_policy refuses them (test_policies.py)."""
    for prefix, outside in (("a*/", "a-private/x"), ("*/", "finance/x"), ("a?/", "ab/x")):
        document = copy.deepcopy(policy())
        document["Statement"][2]["Resource"] = f"{BUCKET_ARN}/{prefix}*"
        assert allowed(document, "s3:PutObject", f"{BUCKET_ARN}/{outside}")


@pytest.mark.parametrize(
    ("prefix", "inside", "outside"),
    [
        (
            "analytics/",
            ["analytics/x", "analytics/a/b.csv"],
            ["analytics", "analytics-evil/x", "Analytics/x", "x"],
        ),
        ("v1.0/", ["v1.0/x"], ["v1x0/x", "v1.00/x"]),
        ("(a)!'_-/", ["(a)!'_-/x"], ["a/x", "(a)!'_/x"]),
    ],
)
def test_literal_prefix_covers_only_its_keys(prefix, inside, outside):
    document = write_policy("aws", BUCKET, prefix)
    for key in inside:
        assert put_object_allowed(document, f"{BUCKET_ARN}/{key}", {}), key
    for key in outside:
        assert not put_object_allowed(document, f"{BUCKET_ARN}/{key}", {}), key
