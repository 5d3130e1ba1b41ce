"""Layer 5: verify's read-only AWS checks against a moto server with IAM enforced (calls moto implements;
each authorization decided by dev/support/iam_model.py with AWS's action names),
and through botocore's ``Stubber`` for the calls it lacks (IAM policy simulation, Access Analyzer);
the Stubber checks every request against the AWS service model. The simulator's answers are not written
here: dev/support/model_simulator.py has iam_model decide each request verify sends."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from analytics_export.policies import write_policy
from dev.support.aws_loop import (
    CUSTOMER_ACCOUNT,
    REGION,
    Keys,
    create_accounts,
    deploy,
)
from dev.support.model_simulator import context_of, model_simulator
from verify import simulation
from verify.aws_checks import AwsInspection
from verify.aws_clients import AwsClients
from verify.checklist import Figures, Status
from verify.simulation import PROBE_KEY
from verify.stack import deployment_from

pytestmark = pytest.mark.layer5

OTHER_EXTERNAL_ID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
KMS_KEY = f"arn:aws:kms:{REGION}:{CUSTOMER_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def accounts(moto):
    moto.reset()
    created = create_accounts(moto)
    moto.enforce_iam()
    yield created
    moto.enforce_iam(False)


def inspect(moto, deployment, keys, **config):
    outputs = deployment.stack_outputs()
    project_config = {f"bitmovin-analytics-export:{k}": v for k, v in config.items()}
    target = deployment_from(outputs, project_config, stack="acme", project="bitmovin-analytics-export")
    clients = AwsClients(moto.client("iam", keys), moto.client("s3", keys), stubbed("accessanalyzer")[0])
    inspection = AwsInspection(clients, target)
    checks = {check.id: check for check in inspection.run()}
    return inspection, checks


def statuses(checks):
    return {name: check.status.value for name, check in checks.items()}


CORE_PASS = {
    "aws.role": "pass",
    "aws.trust_policy": "pass",
    "aws.write_policy": "pass",
    "aws.simulation": "skip",  # moto does not implement SimulatePrincipalPolicy
    "aws.public_access_block": "pass",
    "aws.object_ownership": "pass",
    "aws.encryption": "pass",
    "aws.tls_only": "pass",
    "aws.access_analyzer": "skip",  # stubbed client without responses: not available
}


def stubbed(service):
    client = boto3.client(service, region_name=REGION, aws_access_key_id="stub", aws_secret_access_key="stub")
    return client, Stubber(client)


def test_a_correct_deployment_passes(moto, accounts, emulator):
    deployment = deploy(moto, emulator, accounts, tls_only=True)
    inspection, checks = inspect(moto, deployment, accounts.admin)
    assert statuses(checks) == CORE_PASS
    assert inspection.trust.required_external_ids == [deployment.external_id]
    assert deployment.external_id in checks["aws.trust_policy"].detail
    assert checks["aws.write_policy"].detail.startswith("bitmovin-analytics-export-write")
    facts = inspection.facts()
    assert (facts.trust_ok, facts.write_policy_ok, facts.object_ownership) == (
        True,
        True,
        "BucketOwnerEnforced",
    )
    assert 0 <= facts.role_age_seconds < 600


def test_trust_policy_with_another_external_id(moto, accounts, emulator):
    deployment = deploy(moto, emulator, accounts, tls_only=True, trusted_external_id=OTHER_EXTERNAL_ID)
    inspection, checks = inspect(moto, deployment, accounts.admin)
    assert checks["aws.trust_policy"].status is Status.FAIL
    assert OTHER_EXTERNAL_ID in checks["aws.trust_policy"].detail
    assert "pulumi up --refresh" in checks["aws.trust_policy"].fix
    assert inspection.trust.required_external_ids == [OTHER_EXTERNAL_ID]
    assert inspection.facts().trust_ok is False


def test_write_policy_for_another_prefix_and_extra_policies(moto, accounts, emulator):
    deployment = deploy(moto, emulator, accounts, tls_only=True, write_prefix="elsewhere/")
    _, checks = inspect(moto, deployment, accounts.admin)
    assert checks["aws.write_policy"].status is Status.FAIL
    bucket = f"arn:aws:s3:::{deployment.bucket}"
    assert checks["aws.write_policy"].detail == (
        f"no inline policy is the program's write policy for s3://{deployment.bucket}/analytics/; "
        "bitmovin-analytics-export-write differs: "
        'statement ListExportPrefix: Condition {"StringLike":{"s3:prefix":["elsewhere/*"]}}, '
        'expected {"StringLike":{"s3:prefix":["analytics/*"]}} | '
        f"statement WriteExports: missing resources {bucket}/analytics/*; extra resources {bucket}/elsewhere/* | "
        f"statement SetCannedExportAcl: missing resources {bucket}/analytics/*; extra resources {bucket}/elsewhere/*"
    )
    iam = moto.client("iam", accounts.admin)
    iam.put_role_policy(  # back to the program's policy: only the attached extra remains wrong
        RoleName=deployment.role_name,
        PolicyName="bitmovin-analytics-export-write",
        PolicyDocument=_program_write_policy(deployment),
    )
    arn = iam.create_policy(
        PolicyName="extra",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=deployment.role_name, PolicyArn=arn)
    _, checks = inspect(moto, deployment, accounts.admin)
    assert checks["aws.write_policy"].status is Status.FAIL
    assert checks["aws.write_policy"].detail == f"attached managed policies: {arn}"


def _program_write_policy(deployment):
    return json.dumps(write_policy("aws", deployment.bucket, deployment.prefix))


def test_a_hand_made_write_policy_is_compared_statement_by_statement(moto, accounts, emulator):
    deployment = deploy(moto, emulator, accounts, tls_only=True)
    bucket = f"arn:aws:s3:::{deployment.bucket}"
    hand_made = write_policy("aws", deployment.bucket, deployment.prefix)
    hand_made["Statement"] = [s for s in hand_made["Statement"] if s["Sid"] != "SetCannedExportAcl"]
    hand_made["Statement"][0] = {"Effect": "Allow", "Action": ["s3:GetBucketLocation"], "Resource": bucket}
    hand_made["Statement"][2]["Action"] = ["s3:PutObject", "s3:GetObject"]
    hand_made["Statement"].append({"Sid": "Mine", "Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    iam = moto.client("iam", accounts.admin)
    iam.delete_role_policy(RoleName=deployment.role_name, PolicyName="bitmovin-analytics-export-write")
    iam.put_role_policy(
        RoleName=deployment.role_name, PolicyName="handmade", PolicyDocument=json.dumps(hand_made)
    )
    _, checks = inspect(moto, deployment, accounts.admin)
    detail = checks["aws.write_policy"].detail
    assert checks["aws.write_policy"].status is Status.FAIL
    assert detail == (
        f"no inline policy is the program's write policy for s3://{deployment.bucket}/analytics/; "
        "handmade differs: statement WriteExports: extra actions s3:GetObject | "
        "statement SetCannedExportAcl missing (expected Allow s3:PutObjectAcl on "
        f"{bucket}/analytics/* if "
        '{"Null":{"s3:x-amz-grant-full-control":"true","s3:x-amz-grant-read":"true",'
        '"s3:x-amz-grant-read-acp":"true","s3:x-amz-grant-write":"true","s3:x-amz-grant-write-acp":"true"},'
        '"StringEquals":{"s3:x-amz-acl":["private","bucket-owner-full-control"]}}) | '
        "extra statement Mine: Allow s3:* on *"
    )
    assert "write_policy(" not in detail + checks["aws.write_policy"].fix  # no Python names


def test_bucket_drift_is_reported_per_setting(moto, accounts, emulator):
    deployment = deploy(moto, emulator, accounts, object_ownership="BucketOwnerPreferred")
    s3 = moto.client("s3", accounts.admin)
    s3.put_public_access_block(
        Bucket=deployment.bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    _, checks = inspect(moto, deployment, accounts.admin, kmsKeyArn=KMS_KEY)
    assert checks["aws.public_access_block"].detail == "off: BlockPublicPolicy, RestrictPublicBuckets"
    assert (
        checks["aws.object_ownership"].detail
        == "BucketOwnerPreferred, the stack configures BucketOwnerEnforced"
    )
    assert checks["aws.encryption"].detail.startswith("AES256 with None, the stack configures aws:kms")
    assert checks["aws.tls_only"].detail == "the bucket has no policy"
    for name in ("aws.public_access_block", "aws.object_ownership", "aws.encryption", "aws.tls_only"):
        assert checks[name].status is Status.FAIL
        assert checks[name].fix == "run `pulumi up --refresh` to restore the bucket's settings"
    # The fallback ownership is accepted when it is what the stack configures.
    _, checks = inspect(moto, deployment, accounts.admin, objectOwnership="BucketOwnerPreferred")
    assert checks["aws.object_ownership"].status is Status.PASS


def test_existing_bucket_settings_are_not_judged(moto, accounts, emulator):
    deployment = deploy(moto, emulator, accounts)
    _, checks = inspect(moto, deployment, accounts.admin, existingBucketName=deployment.bucket)
    for name in ("aws.public_access_block", "aws.object_ownership", "aws.encryption", "aws.tls_only"):
        assert checks[name].status is Status.SKIP
        assert "existingBucketName" in checks[name].detail


def test_missing_role(moto, accounts, emulator):
    deployment = deploy(moto, emulator, accounts, tls_only=True)
    iam = moto.client("iam", accounts.admin)
    iam.delete_role_policy(RoleName=deployment.role_name, PolicyName="bitmovin-analytics-export-write")
    iam.delete_role(RoleName=deployment.role_name)
    inspection, checks = inspect(moto, deployment, accounts.admin)
    assert checks["aws.role"].status is Status.FAIL
    assert checks["aws.role"].detail.startswith("NoSuchEntity")
    assert checks["aws.trust_policy"].status is Status.SKIP
    assert checks["aws.write_policy"].status is Status.SKIP
    assert inspection.facts().trust_ok is None


def test_credentials_without_permissions_name_what_to_grant(moto, accounts, emulator):
    deployment = deploy(moto, emulator, accounts, tls_only=True)
    iam = moto.client("iam", accounts.admin)
    iam.create_user(UserName="ci-reader")
    key = iam.create_access_key(UserName="ci-reader")["AccessKey"]
    reader = Keys(key["AccessKeyId"], key["SecretAccessKey"])
    _, checks = inspect(moto, deployment, reader)
    assert checks["aws.role"].status is Status.FAIL
    assert "iam:GetRole" in checks["aws.role"].fix
    assert "s3:GetBucketPublicAccessBlock" in checks["aws.public_access_block"].fix
    assert "s3:GetBucketPolicy" in checks["aws.tls_only"].fix
    iam.put_user_policy(
        UserName="ci-reader",
        PolicyName="verify",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "iam:GetRole",
                            "iam:ListRolePolicies",
                            "iam:GetRolePolicy",
                            "iam:ListAttachedRolePolicies",
                            "s3:GetBucketPublicAccessBlock",
                            "s3:GetBucketOwnershipControls",
                            "s3:GetEncryptionConfiguration",
                            "s3:GetBucketPolicy",
                            # --export lists the files (docs/verify.md). Judged by dev/support/iam_model.py
                            # with AWS's action names: moto 5.2.5 checked the three Get*s above as
                            # s3:ListBucket, 5.2.6 by their API names (s3:GetBucketEncryption, ...).
                            "s3:ListBucket",
                        ],
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    _, checks = inspect(moto, deployment, reader)
    assert statuses(checks) == CORE_PASS  # the documented read permissions suffice


# -- Stubber: the calls moto lacks ----------------------------------------------------------------------


def stub_target(**config):
    return stub_target_in("aws", REGION, **config)


def stub_target_in(partition, region, **config):
    outputs = {
        "outputId": "cb90b80c-8867-4e3b-8479-174aa2843f62",
        "externalId": "3c6a2c1e-6a0e-4f4e-9a55-2b1c0d9e8f7a",
        "roleArn": f"arn:{partition}:iam::{CUSTOMER_ACCOUNT}:role/bitmovin-analytics-export-acme",
        "bucketName": "acme-analytics",
        "region": region,
        "exportPrefix": "analytics/",
    }
    project_config = {f"bitmovin-analytics-export:{k}": v for k, v in config.items()}
    return deployment_from(outputs, project_config, stack="acme", project="bitmovin-analytics-export")


def program_policy(target):
    """The write policy the program deploys for this stack (what the role holds when nothing drifted)."""
    return write_policy(
        target.partition, target.bucket_name, target.export_prefix, target.kms_key_arn, region=target.region
    )


def run_simulation(target, *policies, older_shape=False):
    """verify's simulator check, each answer decided by iam_model for the request verify sent."""
    iam, _ = stubbed("iam")
    inspection = AwsInspection(AwsClients(iam, None, None), target)
    held = policies or [program_policy(target)]
    with model_simulator(iam, target.role_arn, held, older_shape=older_shape) as requests:
        (check,) = inspection.simulation()
    return check, requests


def test_simulation_passes_for_the_program_policy():
    check, requests = run_simulation(stub_target())
    assert (check.status, check.detail) == (Status.PASS, "4 allowed, 4 denied as expected")
    assert len(requests) == 3


@pytest.mark.parametrize(
    ("partition", "region", "via_service"),
    [
        ("aws", REGION, f"s3.{REGION}.amazonaws.com"),
        ("aws-cn", "cn-north-1", "s3.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_simulation_with_kms(partition, region, via_service):
    key = f"arn:{partition}:kms:{region}:{CUSTOMER_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    target = stub_target_in(partition, region, kmsKeyArn=key)
    check, requests = run_simulation(target)
    assert (check.status, check.detail) == (Status.PASS, "6 allowed, 4 denied as expected")
    assert len(requests) == 4
    # What S3 passes when it calls KMS for Bitmovin's upload: its regional endpoint, the bucket's ARN
    # (S3 Bucket Keys) as encryption context, over TLS.
    assert context_of(requests[3]["ContextEntries"]) == {
        "aws:SecureTransport": "true",
        "kms:ViaService": via_service,
        "kms:EncryptionContext:aws:s3:arn": f"arn:{partition}:s3:::acme-analytics",
    }


def test_simulation_sends_the_keys_s3_passes_for_an_export():
    _, requests = run_simulation(stub_target())
    assert [context_of(r["ContextEntries"]) for r in requests] == [
        {"aws:SecureTransport": "true", "s3:prefix": "analytics/verify/"},
        {"aws:SecureTransport": "true", "s3:x-amz-acl": "bucket-owner-full-control"},
        {"aws:SecureTransport": "true", "s3:x-amz-acl": "bucket-owner-full-control"},
    ]


@pytest.mark.parametrize(
    ("dropped", "refused"),
    [
        ("s3:prefix", ["s3:ListBucket on arn:aws:s3:::acme-analytics"]),
        ("s3:x-amz-acl", ["s3:PutObjectAcl on arn:aws:s3:::acme-analytics/analytics/verify/"]),
        ("kms:ViaService", ["kms:GenerateDataKey on arn:aws:kms:", "kms:Decrypt on arn:aws:kms:"]),
        (
            "kms:EncryptionContext:aws:s3:arn",
            ["kms:GenerateDataKey on arn:aws:kms:", "kms:Decrypt on arn:aws:kms:"],
        ),
    ],
)
def test_a_context_key_verify_omitted_fails_the_check(monkeypatch, dropped, refused):
    """The answers are decided, not written down: without a key the program's policy requires, the
    simulator denies what Bitmovin needs, and the line says which action."""
    keep = simulation.s3_context

    def without_key(target):
        return {
            kind: [entry for entry in entries if entry["ContextKeyName"] != dropped]
            for kind, entries in keep(target).items()
        }

    monkeypatch.setattr(simulation, "s3_context", without_key)
    check, _ = run_simulation(stub_target(kmsKeyArn=KMS_KEY))
    assert check.status is Status.FAIL
    wrong = check.detail.split("; ")
    assert len(wrong) == len(refused)
    for line, start in zip(wrong, refused, strict=True):
        assert line.startswith(start)
        assert line.endswith(": implicitDeny, expected allowed")


def test_simulation_reports_writes_outside_the_prefix():
    target = stub_target()
    leaky = program_policy(target)
    for statement in leaky["Statement"]:
        if statement["Sid"] in ("WriteExports", "SetCannedExportAcl"):
            statement["Resource"] = "arn:aws:s3:::acme-analytics/*"
    check, _ = run_simulation(target, leaky)
    assert check.status is Status.FAIL
    assert (
        check.detail
        == "s3:PutObject on arn:aws:s3:::acme-analytics/bitmovin-verify-outside-the-prefix/probe.csv: allowed, expected denied"
    )


@pytest.mark.parametrize("older_shape", [False, True], ids=["per-resource results", "older shape"])
def test_simulation_reads_each_resource_decision(older_shape):
    """IAM names an ARN template at the top of each result and the resources in ResourceSpecificResults;
    an older answer named the resource at the top. Both are read; the outside writes (two resources in
    one request) are judged one by one."""
    target = stub_target()
    leaky = program_policy(target)
    leaky["Statement"].append(
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::acme-analytics-not-this-bucket/*",
        }
    )
    check, _ = run_simulation(target, leaky, older_shape=older_shape)
    assert check.detail == (
        f"s3:PutObject on arn:aws:s3:::acme-analytics-not-this-bucket/analytics/{PROBE_KEY}: allowed, expected denied"
    )
    check, _ = run_simulation(target, older_shape=older_shape)
    assert (check.status, check.detail) == (Status.PASS, "4 allowed, 4 denied as expected")


def test_simulation_reports_a_deny_from_another_policy():
    target = stub_target()
    boundary = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:PutObjectAcl", "Resource": "*"}],
    }
    check, _ = run_simulation(target, program_policy(target), boundary)
    assert check.status is Status.FAIL
    assert check.detail == (
        f"s3:PutObjectAcl on arn:aws:s3:::acme-analytics/analytics/{PROBE_KEY}: explicitDeny, expected allowed"
    )


def test_simulation_not_permitted_is_not_checked():
    iam, stubber = stubbed("iam")
    stubber.add_client_error("simulate_principal_policy", "AccessDenied", "not allowed", 403)
    with stubber:
        (check,) = AwsInspection(AwsClients(iam, None, None), stub_target()).simulation()
    assert check.status is Status.SKIP
    assert "iam:SimulatePrincipalPolicy" in check.fix


def analyzer_inspection(target, client):
    from analytics_export.policies import tls_only_bucket_policy, trust_policy

    inspection = AwsInspection(AwsClients(None, None, client), target, paid_checks=True)
    inspection.role = {"AssumeRolePolicyDocument": trust_policy(target.external_id)}
    inspection.inline_policies = {
        "bitmovin-analytics-export-write": write_policy("aws", target.bucket_name, "analytics/")
    }
    inspection.bucket_policy = tls_only_bucket_policy("aws", target.bucket_name)
    return inspection


def expect_validation(stubber, inspection, findings_by_label):
    documents = [
        (
            "trust",
            inspection.role["AssumeRolePolicyDocument"],
            "RESOURCE_POLICY",
            "AWS::IAM::AssumeRolePolicyDocument",
        ),
        ("write", inspection.inline_policies["bitmovin-analytics-export-write"], "IDENTITY_POLICY", None),
        ("bucket", inspection.bucket_policy, "RESOURCE_POLICY", "AWS::S3::Bucket"),
    ]
    for label, document, policy_type, resource_type in documents:
        params = {"policyDocument": json.dumps(document), "policyType": policy_type}
        if resource_type:
            params["validatePolicyResourceType"] = resource_type
        stubber.add_response("validate_policy", {"findings": findings_by_label.get(label, [])}, params)
    return documents


def finding(kind, code):
    return {
        "findingDetails": f"{code} details",
        "findingType": kind,
        "issueCode": code,
        "learnMoreLink": "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html",
        "locations": [],
    }


def test_access_analyzer_validation_and_public_access_checks():
    client, stubber = stubbed("accessanalyzer")
    inspection = analyzer_inspection(stub_target(), client)
    documents = expect_validation(stubber, inspection, {"write": [finding("SUGGESTION", "EMPTY_SID_VALUE")]})
    for _, document, _, resource_type in documents:
        if resource_type:
            stubber.add_response(
                "check_no_public_access",
                {"result": "PASS", "message": "The resource policy does not grant public access."},
                {"policyDocument": json.dumps(document), "resourceType": resource_type},
            )
    with stubber:
        validation, public = inspection.policy_validation()
    stubber.assert_no_pending_responses()
    assert (validation.status, validation.detail) == (
        Status.PASS,
        "3 policies, no errors or security warnings (1 warnings/suggestions)",
    )
    assert public.status is Status.PASS


def test_access_analyzer_security_warning_fails():
    client, stubber = stubbed("accessanalyzer")
    inspection = analyzer_inspection(stub_target(), client)
    inspection.paid_checks = False
    expect_validation(stubber, inspection, {"trust": [finding("SECURITY_WARNING", "MISSING_EXTERNAL_ID")]})
    with stubber:
        (validation,) = inspection.policy_validation()
    assert validation.status is Status.FAIL
    assert (
        validation.detail == "trust policy: SECURITY_WARNING MISSING_EXTERNAL_ID: MISSING_EXTERNAL_ID details"
    )


def test_access_analyzer_not_permitted_is_not_checked():
    client, stubber = stubbed("accessanalyzer")
    inspection = analyzer_inspection(stub_target(), client)
    stubber.add_client_error("validate_policy", "AccessDeniedException", "no", 403)
    stubber.add_client_error("check_no_public_access", "AccessDeniedException", "no", 403)
    with stubber:
        validation, public = inspection.policy_validation()
    assert validation.status is public.status is Status.SKIP
    assert "access-analyzer:ValidatePolicy" in validation.fix
    assert "access-analyzer:CheckNoPublicAccess" in public.fix


def test_requests_are_counted(moto, accounts, emulator):
    from verify.aws_clients import make_clients

    deployment = deploy(moto, emulator, accounts, tls_only=True)
    target = deployment_from(
        deployment.stack_outputs(), {}, stack="acme", project="bitmovin-analytics-export"
    )
    figures = Figures()
    session = boto3.session.Session(
        aws_access_key_id=accounts.admin.access_key_id, aws_secret_access_key=accounts.admin.secret_access_key
    )
    clients = make_clients(session, target, moto.url, figures)
    AwsInspection(clients, target).run()
    assert figures.requests["aws:iam:GetRole"] == 1
    assert figures.requests["aws:s3:GetBucketPolicy"] == 1
    # Attempted once: moto answers an HTML error page, which botocore does not retry.
    assert figures.requests["aws:iam:SimulatePrincipalPolicy"] == 1


def test_unreachable_aws_is_not_reported_as_drift(monkeypatch):
    from verify.aws_clients import CONNECTION_FIX, make_clients

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    session = boto3.session.Session(aws_access_key_id="k", aws_secret_access_key="s")
    target = stub_target()
    clients = make_clients(session, target, "http://127.0.0.1:9", Figures())
    checks = {check.id: check for check in AwsInspection(clients, target).run()}
    for name in ("aws.role", "aws.public_access_block", "aws.tls_only"):
        assert checks[name].status is Status.FAIL
        assert checks[name].detail.startswith("EndpointConnectionError")
        assert checks[name].fix == CONNECTION_FIX
