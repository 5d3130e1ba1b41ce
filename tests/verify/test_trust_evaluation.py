"""Layer 1: the trust-policy evaluator shared by the emulator (acting as AWS) and the verify command.

Each case states what AWS decides for one ``sts:AssumeRole`` call, following the IAM policy evaluation
rules (docs/export-tasks.md, "Trust policy evaluation"); the policies under test start from the
project's own ``trust_policy``.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from analytics_export.policies import BITMOVIN_PRINCIPAL, trust_policy
from verify.trust_evaluation import AssumeRoleRequest, evaluate_assume_role, parse_policy

pytestmark = pytest.mark.layer1

EXT = "3c6a2c1e-6a0e-4f4e-9a55-2b1c0d9e8f7a"
OTHER_EXT = "7d0c3f7e-95c2-4b8e-9df1-4f0e1c2b3a4d"
STRANGER = "arn:aws:iam::111122223333:user/someone"
BITMOVIN_ACCOUNT_ROOT = "arn:aws:iam::630681592166:root"


def decide(policy, principal=BITMOVIN_PRINCIPAL, external_id=EXT, action="sts:AssumeRole"):
    return evaluate_assume_role(policy, AssumeRoleRequest(principal, external_id, action))


def one_statement(**fields):
    statement = {"Effect": "Allow", "Principal": {"AWS": BITMOVIN_PRINCIPAL}, "Action": "sts:AssumeRole"}
    statement.update(fields)
    return {"Version": "2012-10-17", "Statement": [{k: v for k, v in statement.items() if v is not None}]}


def test_project_trust_policy_admits_only_bitmovin_with_the_external_id():
    policy = trust_policy(EXT)
    assert decide(policy).allowed
    assert "BitmovinAnalyticsAssumeRole" in decide(policy).reason


@pytest.mark.parametrize(
    ("principal", "external_id", "action", "reason_part"),
    [
        (BITMOVIN_PRINCIPAL, None, "sts:AssumeRole", "the request has no sts:ExternalId"),
        (BITMOVIN_PRINCIPAL, OTHER_EXT, "sts:AssumeRole", f"the request has '{OTHER_EXT}'"),
        (STRANGER, EXT, "sts:AssumeRole", f"is not {STRANGER}"),
        (BITMOVIN_PRINCIPAL, EXT, "sts:TagSession", "does not include sts:TagSession"),
        (BITMOVIN_PRINCIPAL, EXT, "sts:AssumeRoleWithWebIdentity", "does not include"),
    ],
)
def test_project_trust_policy_refuses(principal, external_id, action, reason_part):
    decision = decide(trust_policy(EXT), principal, external_id, action)
    assert not decision.allowed
    assert reason_part in decision.reason


def test_wrong_external_id_reason_names_both_ids():
    decision = decide(trust_policy(OTHER_EXT), external_id=EXT)
    assert not decision.allowed
    assert OTHER_EXT in decision.reason
    assert EXT in decision.reason


def test_action_matching_is_case_insensitive_with_wildcards():
    assert decide(one_statement(Action="STS:assumerole")).allowed
    assert decide(one_statement(Action=["s3:GetObject", "sts:*"])).allowed
    assert decide(one_statement(Action="sts:Assume?ole")).allowed
    assert not decide(one_statement(Action=None, NotAction="sts:AssumeRole")).allowed
    assert decide(one_statement(Action=None, NotAction="sts:TagSession")).allowed


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        ("*", True),
        ({"AWS": "*"}, True),
        ({"AWS": BITMOVIN_ACCOUNT_ROOT}, True),  # the account delegates to its own identity policies
        ({"AWS": "630681592166"}, True),
        ({"AWS": [STRANGER, BITMOVIN_PRINCIPAL]}, True),
        ({"AWS": "arn:aws:iam::630681592166:user/*"}, False),  # no wildcards inside a principal ARN
        ({"AWS": "arn:aws:iam::630681592166:user/bitmovincustomers3access"}, False),  # case matters
        ({"AWS": "arn:aws:iam::111122223333:root"}, False),
        ({"Service": "s3.amazonaws.com"}, False),
        ({"Federated": "cognito-identity.amazonaws.com"}, False),
    ],
)
def test_principal_forms(principal, allowed):
    assert decide(one_statement(Principal=principal)).allowed is allowed


def test_not_principal():
    policy = one_statement(Principal=None, NotPrincipal={"AWS": STRANGER})
    assert decide(policy).allowed
    assert not decide(policy, principal=STRANGER).allowed


def test_explicit_deny_wins_over_allow():
    policy = trust_policy(EXT)
    policy["Statement"].append(
        {
            "Sid": "OnlyBitmovinSessions",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:*",
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "999999999999"}},
        }
    )
    decision = decide(policy)
    assert not decision.allowed
    assert "OnlyBitmovinSessions" in decision.reason
    assert "explicitly denies" in decision.reason


@pytest.mark.parametrize(
    ("condition", "external_id", "allowed"),
    [
        ({"StringEquals": {"sts:ExternalId": [OTHER_EXT, EXT]}}, EXT, True),  # values: OR
        ({"StringEquals": {"STS:EXTERNALID": EXT}}, EXT, True),  # key names are case-insensitive
        ({"StringEquals": {"sts:ExternalId": EXT.upper()}}, EXT, False),  # values are not
        ({"StringEqualsIgnoreCase": {"sts:ExternalId": EXT.upper()}}, EXT, True),
        ({"StringLike": {"sts:ExternalId": "3c6a2c1e-*"}}, EXT, True),
        ({"StringLike": {"sts:ExternalId": "3c6a2c1e-?"}}, EXT, False),
        ({"StringNotEquals": {"sts:ExternalId": OTHER_EXT}}, EXT, True),
        ({"StringNotEquals": {"sts:ExternalId": OTHER_EXT}}, None, True),  # negated + absent key: true
        ({"StringNotLike": {"sts:ExternalId": "3c6a*"}}, EXT, False),
        ({"StringEqualsIfExists": {"sts:ExternalId": EXT}}, None, True),
        ({"StringEqualsIfExists": {"sts:ExternalId": EXT}}, OTHER_EXT, False),
        ({"Null": {"sts:ExternalId": "false"}}, EXT, True),
        ({"Null": {"sts:ExternalId": "false"}}, None, False),
        ({"Null": {"sts:ExternalId": "true"}}, None, True),
        ({"ArnEquals": {"aws:PrincipalArn": BITMOVIN_PRINCIPAL}}, EXT, True),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::630681592166:user/*"}}, EXT, True),
        ({"StringEquals": {"aws:PrincipalAccount": "630681592166", "sts:ExternalId": EXT}}, EXT, True),
        ({"StringEquals": {"aws:PrincipalAccount": "630681592166", "sts:ExternalId": EXT}}, None, False),
        ({"StringEquals": {"aws:PrincipalType": "User"}}, EXT, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, EXT, True),  # STS is HTTPS only
        ({"Bool": {"aws:SecureTransport": "false"}}, EXT, False),
    ],
)
def test_condition_operators(condition, external_id, allowed):
    assert decide(one_statement(Condition=condition), external_id=external_id).allowed is allowed


def test_unsupported_operator_never_allows_and_always_denies():
    unsupported = {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    decision = decide(one_statement(Condition=unsupported))
    assert not decision.allowed
    assert "not supported" in decision.reason
    policy = trust_policy(EXT)
    policy["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "*", "Condition": unsupported})
    assert not decide(policy).allowed


def test_single_statement_object_and_encoded_documents():
    policy = trust_policy(EXT)
    single = {"Version": policy["Version"], "Statement": policy["Statement"][0]}
    assert decide(single).allowed
    assert decide(json.dumps(policy)).allowed
    assert decide(quote(json.dumps(policy))).allowed  # raw IAM API answers URL-encode the document
    assert parse_policy(quote(json.dumps(policy))) == policy


@pytest.mark.parametrize("document", ["not json", "[]", json.dumps({"Statement": []}), 42])
def test_unusable_documents_deny(document):
    assert not decide(document).allowed


def test_no_allow_statement():
    decision = decide({"Version": "2012-10-17", "Statement": []})
    assert not decision.allowed
    assert "no Allow statement" in decision.reason
