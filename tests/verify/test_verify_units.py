"""Layer 1: the verify command's pure parts: trust judgement, export diagnosis, stack outputs,
policy comparison, the export window and the checklist rendering."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from analytics_export.policies import BITMOVIN_PRINCIPAL, trust_policy, write_policy
from dev.support import REPO_ROOT
from dev.support.testing import ACME_EXTERNAL_ID, ACME_STACK_OUTPUTS
from verify.checklist import Figures, Report, failed, passed, skipped
from verify.diagnosis import YOUNG_ROLE_SECONDS, Facts, diagnose
from verify.export_check import export_window
from verify.export_tasks import ExportTaskError
from verify.policy_text import canonical
from verify.stack import StackError, deployment_from, from_files
from verify.trust import judge_trust_policy, required_external_ids

pytestmark = pytest.mark.layer1

EXT = ACME_EXTERNAL_ID
OTHER = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
PROJECT = "bitmovin-analytics-export"
OUTPUTS = ACME_STACK_OUTPUTS


# -- trust judgement ------------------------------------------------------------------------------------


def test_the_programs_trust_policy_passes():
    judgement = judge_trust_policy(trust_policy(EXT), BITMOVIN_PRINCIPAL, EXT)
    assert judgement.ok
    assert judgement.problems == []
    assert judgement.required_external_ids == [EXT]


def test_wrong_external_id_is_reported_with_both_ids():
    judgement = judge_trust_policy(trust_policy(OTHER), BITMOVIN_PRINCIPAL, EXT)
    assert not judgement.ok
    assert judgement.required_external_ids == [OTHER]
    assert judgement.problems == [f"it requires sts:ExternalId {OTHER}, the output's external ID is {EXT}"]


def extra_statement(**fields):
    policy = trust_policy(EXT)
    policy["Statement"].append({"Effect": "Allow", **fields})
    return policy


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (  # anyone with the external ID: the probes catch it
            extra_statement(
                Principal={"AWS": "*"},
                Action="sts:AssumeRole",
                Condition={"StringEquals": {"sts:ExternalId": EXT}},
            ),
            "arn:aws:iam::111122223333:user/not-bitmovin would be admitted",
        ),
        (  # Bitmovin without any external ID
            extra_statement(Principal={"AWS": BITMOVIN_PRINCIPAL}, Action="sts:AssumeRole"),
            "Bitmovin without an external ID would be admitted",
        ),
        (  # a grant the probes cannot see: only the shape check finds it
            extra_statement(
                Principal={"AWS": BITMOVIN_PRINCIPAL},
                Action="sts:TagSession",
                Condition={"StringEquals": {"sts:ExternalId": EXT}},
            ),
            "allows 'sts:TagSession' instead of only sts:AssumeRole",
        ),
        (
            extra_statement(Principal={"Service": "ec2.amazonaws.com"}, Action="sts:AssumeRole"),
            "trusts {'Service': 'ec2.amazonaws.com'}",
        ),
        (
            extra_statement(
                Principal={"AWS": BITMOVIN_PRINCIPAL},
                Action="sts:AssumeRole",
                Condition={"StringLike": {"sts:ExternalId": "3c6a*"}},
            ),
            "instead of StringEquals sts:ExternalId",
        ),
    ],
)
def test_anything_more_than_the_program_writes_is_reported(policy, expected):
    judgement = judge_trust_policy(policy, BITMOVIN_PRINCIPAL, EXT)
    assert not judgement.ok
    assert expected in " ".join(judgement.problems)


def test_external_id_lists():
    policy = trust_policy(EXT)
    policy["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = [EXT]
    assert judge_trust_policy(policy, BITMOVIN_PRINCIPAL, EXT).ok
    policy["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = [EXT, OTHER]
    judgement = judge_trust_policy(policy, BITMOVIN_PRINCIPAL, EXT)
    assert judgement.problems == [
        f"statement 1 (BitmovinAnalyticsAssumeRole) accepts several external IDs {[EXT, OTHER]!r} instead of only {EXT}"
    ]


def test_deny_statements_may_narrow_the_policy():
    policy = trust_policy(EXT)
    policy["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    assert judge_trust_policy(policy, BITMOVIN_PRINCIPAL, EXT).problems == []


def test_required_ids_only_from_statements_naming_bitmovin():
    policy = extra_statement(
        Principal={"AWS": "arn:aws:iam::111122223333:root"},
        Action="sts:AssumeRole",
        Condition={"StringEquals": {"sts:ExternalId": OTHER}},
    )
    assert required_external_ids(policy, BITMOVIN_PRINCIPAL) == [EXT]


def test_unreadable_trust_policy():
    assert not judge_trust_policy("{", BITMOVIN_PRINCIPAL, EXT).ok


# -- diagnosis --------------------------------------------------------------------------------------------


def error(code, operation=None, service=None, message="denied"):
    return ExportTaskError(code=code, message=message, service=service, operation=operation)


GOOD = Facts(
    trust_ok=True,
    write_policy_ok=True,
    role_age_seconds=86_400,
    object_ownership="BucketOwnerEnforced",
    external_id=EXT,
)


@pytest.mark.parametrize(
    ("task_error", "facts", "key", "retry"),
    [
        (error("AccessControlListNotSupported", "PutObject", "s3"), GOOD, "acl_not_supported", False),
        (
            error("AccessDenied", "AssumeRole", "sts"),
            Facts(trust_ok=False, external_id=EXT),
            "trust_mismatch",
            False,
        ),
        (error("AccessDenied", "AssumeRole", "sts"), GOOD, "iam_propagation", True),
        (error("AccessDenied", "PutObject", "s3"), GOOD, "missing_permission", False),
        (
            error("AccessDenied", "PutObject", "s3"),
            Facts(write_policy_ok=True, role_age_seconds=30),
            "permission_propagation",
            True,
        ),
        (error("AccessDenied", service="s3"), GOOD, "missing_permission", False),
        (error("AccessDenied"), Facts(write_policy_ok=True, role_age_seconds=30), "iam_propagation", True),
        (error("InternalError", "PutObject", "s3"), GOOD, "unknown", False),
        (
            error("AccessDenied", "PutObject", "s3"),
            Facts(write_policy_ok=False, role_age_seconds=30),
            "missing_permission",
            False,
        ),
        (error("AccessDenied", "ListObjectsV2", "s3"), GOOD, "missing_permission", False),
        (error("KMS.AccessDeniedException", "PutObject", "s3"), GOOD, "kms", False),
        (error("NoSuchBucket", "GetBucketLocation", "s3"), GOOD, "bucket_missing", False),
        (error("OutputNotFound"), GOOD, "output_missing", False),
        (error("InternalError", message="boom"), GOOD, "unknown", False),
        # The real API gives no reason: the read-only checks decide.
        (None, Facts(trust_ok=False, external_id=EXT), "trust_mismatch", False),
        (None, Facts(trust_ok=True, write_policy_ok=False), "missing_permission", False),
        (None, Facts(trust_ok=True, write_policy_ok=True, role_age_seconds=60), "iam_propagation", True),
        (None, GOOD, "acl_not_supported", False),
        (
            None,
            Facts(trust_ok=True, write_policy_ok=True, object_ownership="BucketOwnerPreferred"),
            "unknown",
            False,
        ),
    ],
)
def test_diagnosis(task_error, facts, key, retry):
    cause = diagnose(task_error, facts)
    assert (cause.key, cause.retry) == (key, retry)
    assert cause.title
    assert cause.fix


def test_diagnosis_fixes_name_the_command():
    assert "BucketOwnerPreferred" in diagnose(error("AccessControlListNotSupported"), GOOD).fix
    assert EXT in diagnose(error("AccessDenied", "AssumeRole"), Facts(trust_ok=False, external_id=EXT)).fix
    assert "s3:ListBucket" in diagnose(error("AccessDenied", "ListObjectsV2", "s3"), GOOD).title


@pytest.mark.parametrize("age", [42, 86_400])
def test_a_listing_refused_after_assume_role_is_a_permission_problem(age):
    """S3 answered, so Bitmovin had assumed the role: never "not assumable yet", whatever the role's age."""
    cause = diagnose(
        error("AccessDenied", "ListObjectsV2", "s3"),
        Facts(trust_ok=True, write_policy_ok=True, role_age_seconds=age),
    )
    assert cause.title.startswith(
        "S3 refused s3:ListBucket (ListObjectsV2) to the role: a permission problem (Bitmovin assumed the role)"
    )
    assert "not assumable" not in cause.title
    if age < YOUNG_ROLE_SECONDS:  # a policy written seconds ago may not have propagated: retried
        assert (cause.key, cause.retry) == ("permission_propagation", True)
        assert "the role is 42 s old and its write policy is the program's" in cause.title
        assert "if S3 still refuses s3:ListBucket" in cause.fix
    else:
        assert (cause.key, cause.retry) == ("missing_permission", False)
        assert "pulumi up" in cause.fix


# -- stack outputs ---------------------------------------------------------------------------------------


def test_deployment_from_outputs_and_config():
    config = {
        f"{PROJECT}:objectOwnership": "BucketOwnerPreferred",
        f"{PROJECT}:kmsKeyArn": "",
        "bitmovin:apiKey": "secret-from-config",
        "bitmovin:apiUrl": "http://127.0.0.1:1/v1",
    }
    d = deployment_from(OUTPUTS, config, stack="acme", project=PROJECT)
    assert (d.object_ownership, d.kms_key_arn, d.existing_bucket) == ("BucketOwnerPreferred", None, False)
    assert d.tenant_org_id is None  # "" = the key's own organization
    assert (d.partition, d.account_id, d.bucket_arn) == ("aws", "123456789012", "arn:aws:s3:::acme-analytics")
    assert d.api_url == "http://127.0.0.1:1/v1"
    assert "secret-from-config" not in repr(d)


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ({}, "outputId, externalId, roleArn, bucketName, region missing: run `pulumi up` first"),
        ({**OUTPUTS, "externalId": "[secret]"}, "masked as [secret]"),
        ({**OUTPUTS, "roleArn": "arn:aws:iam::123:role/x"}, "is not an IAM role ARN"),
    ],
)
def test_unusable_outputs(outputs, message):
    with pytest.raises(StackError, match=message.replace("[", r"\[").replace("]", r"\]").replace("`", ".")):
        deployment_from(outputs, {}, stack=None, project=PROJECT)


def test_from_files_reads_the_stack_config_without_secrets(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    config = tmp_path / "Pulumi.acme-prod.yaml"
    config.write_text(
        f"config:\n  {PROJECT}:existingBucketName: their-bucket\n"
        "  bitmovin:apiKey:\n    secure: v1:AAAA\n  aws:region: eu-central-1\n"
    )
    d = from_files(outputs, config)
    assert d.stack == "acme-prod"
    assert d.existing_bucket
    assert d.api_key is None
    with pytest.raises(StackError, match="cannot read stack outputs"):
        from_files(tmp_path / "missing.json", None)


# -- policies, window, checklist ----------------------------------------------------------------------------


def test_canonical_ignores_order_and_single_values():
    policy = write_policy("aws", "acme-analytics", "analytics/")
    shuffled = json.loads(json.dumps(policy))
    shuffled["Statement"].reverse()
    shuffled["Statement"][0]["Action"] = shuffled["Statement"][0]["Action"][::-1]
    shuffled["Statement"][1]["Resource"] = [shuffled["Statement"][1]["Resource"]]
    assert canonical(shuffled) == canonical(policy)
    assert canonical(write_policy("aws", "acme-analytics", "other/")) != canonical(policy)


def test_export_window_is_a_whole_hour_ending_at_least_an_hour_ago():
    start, end = export_window(datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC))
    assert (start, end) == (datetime(2026, 3, 1, 10, tzinfo=UTC), datetime(2026, 3, 1, 11, tzinfo=UTC))


def test_checklist_text_and_json():
    report = Report("Verify stack x", figures=Figures(clock=lambda: 0.0))
    report.add(
        passed("a.one", "Bitmovin", "first", "fine"),
        failed("a.two", "AWS", "second", "broken", "do this"),
        skipped("a.three", "AWS", "third", "not available", "grant that"),
    )
    report.figures.count("aws:iam:GetRole")
    report.figures.count("bitmovin:GET /v1/x")
    text = report.render_text()
    assert "  ✓ first: fine" in text
    assert "  ✗ second: broken\n      fix: do this" in text
    assert "  \u2013 third: not available\n      fix: grant that" in text
    assert text.endswith("1 passed, 1 failed, 1 not checked in 0.0 s; requests: Bitmovin API 1, AWS 1")
    assert not report.ok
    document = json.loads(report.to_json())
    assert document["ok"] is False
    assert document["counts"] == {"pass": 1, "fail": 1, "skip": 1}
    assert [c["status"] for c in document["checks"]] == ["pass", "fail", "skip"]
    assert document["requests"] == {"aws:iam:GetRole": 1, "bitmovin:GET /v1/x": 1}


# -- untrusted values: escaping, masking, validation ------------------------------------------------

HOSTILE = "pwned\n::error::pwned \x1b[31mred\x9b \u202eevil\u2028next\x7f"


def test_escape_writes_control_separator_and_bidi_characters_as_python_escapes():
    from verify.untrusted import escape

    assert escape(HOSTILE) == "pwned\\n::error::pwned \\x1b[31mred\\x9b \\u202eevil\\u2028next\\x7f"
    assert escape("plain ✓ \u2013 …: ä") == "plain ✓ \u2013 …: ä"  # printable text stays as it is


def test_checklist_and_json_escape_what_they_print_and_json_stays_valid():
    report = Report(f"Verify {HOSTILE}", figures=Figures(clock=lambda: 0.0))
    report.add(failed("a.one", "AWS", f"title {HOSTILE}", f"detail {HOSTILE}", f"fix {HOSTILE}"))
    text = report.render_text()
    document = report.to_json()
    for printed in (text, document):
        assert not any(c in printed for c in "\x1b\x9b\u202e\u2028\x7f")
        assert not any(line.lstrip().startswith("::error::") for line in printed.splitlines())
    assert "detail pwned\\n::error::pwned \\x1b[31mred" in text
    parsed = json.loads(document)  # valid JSON that decodes to the very text
    assert parsed["checks"][0]["detail"] == f"detail {HOSTILE}"
    assert parsed["heading"] == f"Verify {HOSTILE}"


def test_report_masks_secrets_in_text_and_json():
    from verify.untrusted import Masker

    report = Report(f"Verify {EXT}", figures=Figures(clock=lambda: 0.0), mask=Masker({EXT: "[secret]"}))
    report.add(failed("a.one", "AWS", "trust", f"requires {EXT}", f"set sts:ExternalId {EXT}"))
    for printed in (report.render_text(), report.to_json()):
        assert EXT not in printed
        assert "requires [secret]" in printed


class StandInTasks:
    """An ``ExportTasksClient`` whose task ends in ERROR with a hostile id and reason."""

    def __init__(self):
        from verify.export_tasks import ExportTask

        self.task = ExportTask(
            id=f"task-{HOSTILE}",
            name=None,
            status="ERROR",
            progress=None,
            start_time=None,
            end_time=None,
            output_id=None,
            output_path=None,
            started_at=None,
            finished_at=None,
            error=ExportTaskError(code="InternalError", message=HOSTILE),
            raw={},
        )

    def create(self, request):
        return self.task

    def get(self, task_id):
        return self.task


def test_export_progress_and_result_are_escaped():
    import io

    from verify.export_check import ExportProof, ExportSettings

    progress = io.StringIO()
    d = deployment_from(OUTPUTS, {}, stack="acme", project=PROJECT)
    proof = ExportProof(
        StandInTasks(), None, d, ExportSettings("license"), lambda: GOOD, now=lambda: NOW, progress=progress
    )
    report = Report("Verify", figures=Figures(clock=lambda: 0.0))
    report.add(*proof.run())
    for printed in (progress.getvalue(), report.render_text()):
        assert "task-pwned\\n::error::pwned \\x1b[31mred\\x9b \\u202eevil" in printed
        assert not any(c in printed for c in "\x1b\x9b\u202e\u2028\x7f")
        assert not any(line.lstrip().startswith("::error::") for line in printed.splitlines())


NOW = datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("outputs", "config", "key"),
    [
        ({"bucketName": "acme\n::error::pwned"}, {}, "stack output bucketName"),
        ({"roleName": "acme\x1b[31m"}, {}, "stack output roleName"),
        ({"exportPrefix": "analytics/\u202e/"}, {}, "stack output exportPrefix"),
        ({"region": "eu-central-1\n::error::pwned"}, {}, "stack output region"),
        ({"outputId": "x\x1b]8;;http://evil\x07"}, {}, "stack output outputId"),
        ({"externalId": "secret\nvalue"}, {}, "stack output externalId"),
        ({"tenantOrgId": "org\u2028"}, {}, "stack output tenantOrgId"),
        ({"externalIdMode": "ANY"}, {}, "stack output externalIdMode"),
        ({}, {"bitmovin:apiUrl": "http://evil.example/v1"}, "stack config bitmovin:apiUrl"),
        ({}, {"aws:region": "mars-1\n::error::x"}, "stack config aws:region"),
        ({}, {f"{PROJECT}:objectOwnership": "ObjectWriter"}, f"stack config {PROJECT}:objectOwnership"),
        ({}, {f"{PROJECT}:kmsKeyArn": "alias/aws/s3"}, f"stack config {PROJECT}:kmsKeyArn"),
        ({}, {f"{PROJECT}:bitmovinPrincipalArn": "*"}, f"stack config {PROJECT}:bitmovinPrincipalArn"),
        ({"roleName": "someone-else"}, {}, "stack output roleName"),
        ({"region": "cn-north-1"}, {}, "stack output region"),
    ],
)
def test_every_output_and_config_value_is_validated(outputs, config, key):
    from verify.untrusted import deployment_problems

    d = deployment_from({**OUTPUTS, **outputs}, config, stack="acme", project=PROJECT)
    problems = deployment_problems(d, project=PROJECT)
    assert [problem.split(": ", 1)[0] for problem in problems] == [key]
    if "externalId" in outputs:
        assert "secret" not in problems[0]  # the rule never quotes the (possibly secret) value


def test_a_correct_deployment_has_no_problems():
    from verify.untrusted import deployment_problems

    d = deployment_from(OUTPUTS, {"bitmovin:apiUrl": "http://127.0.0.1:1/v1"}, stack="a", project=PROJECT)
    assert deployment_problems(d, project=PROJECT) == []
    assert deployment_problems(d, project=PROJECT, api_url_env="http://evil.example/v1") == []  # config wins
    plain = deployment_from(OUTPUTS, {}, stack="a", project=PROJECT)
    (problem,) = deployment_problems(plain, project=PROJECT, api_url_env="ftp://x", api_url_env_name="URL")
    assert problem.startswith("URL: ")


def test_outputs_file_external_id_is_secret_when_the_config_file_holds_it_secure(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    config = tmp_path / "Pulumi.acme-prod.yaml"
    config.write_text(f"config:\n  {PROJECT}:externalId:\n    secure: v1:AAAA\n")
    assert from_files(outputs, config).secret_outputs == {"externalId"}
    config.write_text(f"config:\n  {PROJECT}:externalId: {EXT}\n")
    assert from_files(outputs, config).secret_outputs == frozenset()


# -- write policy differences -----------------------------------------------------------------------


def test_policy_differences_name_missing_and_extra_actions_and_resources_per_statement():
    from verify.policy_diff import policy_differences

    expected = write_policy("aws", "acme", "analytics/")
    found = json.loads(json.dumps(expected))
    found["Statement"][2]["Action"] = ["s3:PutObject", "s3:GetObject"]
    found["Statement"][3]["Resource"] = "arn:aws:s3:::acme/*"
    del found["Statement"][0]
    found["Statement"].append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert policy_differences(expected, found) == [
        "statement WriteExports: extra actions s3:GetObject",
        "statement SetCannedExportAcl: missing resources arn:aws:s3:::acme/analytics/*; "
        "extra resources arn:aws:s3:::acme/*",
        "statement FindBucketRegion missing (expected Allow s3:GetBucketLocation on arn:aws:s3:::acme)",
        "extra statement 4 (no Sid): Allow s3:* on *",
    ]
    assert policy_differences(expected, expected) == []


# -- the entry point outside the venv ---------------------------------------------------------------


@pytest.mark.parametrize("blocked", ["pulumi", "boto3"])
def test_without_the_venv_python_verify_says_so_in_one_line(blocked):
    import subprocess
    import sys

    blocker = (  # None in sys.modules: `import` fails and find_spec answers None, as when not installed
        "import runpy, sys\n"
        f"sys.modules[{blocked!r}] = None\n"
        "sys.argv = ['verify', '--stack', 'x']\n"
        "runpy.run_module('verify', run_name='__main__', alter_sys=True)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocker],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert f"no module '{blocked}'" in line
    assert "venv/bin/python -m verify" in line
    assert "python3 -m venv venv && venv/bin/pip install -r requirements.txt" in line


def test_an_export_task_error_of_any_length_is_shown_bounded_and_escaped():
    """The task's error is the server's text: a reply may carry 100,000 characters of it."""
    text = str(ExportTaskError(code="C" * 1000, message=f"{HOSTILE}{'m' * 100_000}", diagnosis="d" * 5000))
    assert len(text) < 2000, len(text)
    assert "more characters not shown]" in text
    assert "\x1b" not in text
    assert "\n" not in text
