"""Layer 1: the stand-in's Check and Diff (ForceNew as terraform-provider-aws marks it), its provider
config, and its hand-over to an installed real plugin. No AWS, no engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dev.aws_standin import checks, config, handover
from dev.aws_standin.schema import RESOURCES

pytestmark = pytest.mark.layer1

ROLE = RESOURCES["aws:iam/role:Role"]
POLICY = json.dumps({"Version": "2012-10-17", "Statement": []})
ROLE_INPUTS = {"name": "r", "assumeRolePolicy": POLICY, "description": "d", "maxSessionDuration": 3600}

# (token, property, new value, replaces?) from each resource's schema in terraform-provider-aws
# (schema.ResourceSpec.source names the file): ForceNew replaces, anything else updates in place.
FORCE_NEW_CASES = [
    ("aws:iam/role:Role", "name", "other", True),
    ("aws:iam/role:Role", "path", "/team/", True),
    ("aws:iam/role:Role", "description", "new", False),
    ("aws:iam/role:Role", "maxSessionDuration", 7200, False),
    (
        "aws:iam/role:Role",
        "assumeRolePolicy",
        json.dumps({"Version": "2012-10-17", "Statement": [{}]}),
        False,
    ),
    ("aws:iam/role:Role", "tags", {"a": "b"}, False),
    ("aws:iam/rolePolicy:RolePolicy", "role", "other", True),
    ("aws:iam/rolePolicy:RolePolicy", "name", "other", True),
    ("aws:iam/rolePolicy:RolePolicy", "policy", json.dumps({"Statement": [{}]}), False),
    ("aws:s3/bucket:Bucket", "bucket", "other", True),
    ("aws:s3/bucket:Bucket", "forceDestroy", True, False),
    ("aws:s3/bucket:Bucket", "tags", {"a": "b"}, False),
    ("aws:s3/bucketPolicy:BucketPolicy", "bucket", "other", True),
    ("aws:s3/bucketPolicy:BucketPolicy", "policy", json.dumps({"Statement": [{}]}), False),
    ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "bucket", "other", True),
    ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "blockPublicAcls", False, False),
    ("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "bucket", "other", True),
    ("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "rule", {"objectOwnership": "X"}, False),
    ("aws:s3/bucketVersioning:BucketVersioning", "bucket", "other", True),
    ("aws:s3/bucketVersioning:BucketVersioning", "versioningConfiguration", {"status": "Suspended"}, False),
    (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "bucket",
        "o",
        True,
    ),
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "bucket", "other", True),
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "rules", [{"id": "x"}], False),
]
OLDS = {
    "name": "n",
    "path": "/",
    "description": "d",
    "maxSessionDuration": 3600,
    "assumeRolePolicy": POLICY,
    "policy": POLICY,
    "role": "r",
    "bucket": "b",
    "forceDestroy": False,
    "blockPublicAcls": True,
    "rule": {"objectOwnership": "BucketOwnerEnforced"},
    "versioningConfiguration": {"status": "Enabled"},
    "rules": [{"id": "r"}],
}


@pytest.mark.parametrize(("token", "name", "value", "replaces"), FORCE_NEW_CASES)
def test_a_change_replaces_exactly_when_terraform_marks_the_property_force_new(token, name, value, replaces):
    spec = RESOURCES[token]
    olds = {key: value for key, value in OLDS.items() if key in spec.inputs()}
    result = checks.diff(spec, olds, {**olds, name: value})
    assert result.changed == [name]
    assert result.replaces == ([name] if replaces else [])


def test_equal_inputs_give_no_diff_whatever_the_json_spacing_or_zero_values():
    olds = {**ROLE_INPUTS, "assumeRolePolicy": json.dumps(json.loads(POLICY), indent=2), "tags": {}}
    news = {**ROLE_INPUTS, "maxSessionDuration": 3600.0, "forceDetachPolicies": False}
    assert checks.diff(ROLE, olds, news) == checks.DiffResult([], [])


def test_an_unknown_value_at_preview_counts_as_a_change_and_replaces_a_force_new_property():
    spec = RESOURCES["aws:s3/bucketPolicy:BucketPolicy"]
    result = checks.diff(
        spec, {"bucket": "b", "policy": POLICY}, {"bucket": checks.UNKNOWN, "policy": POLICY}
    )
    assert result.replaces == ["bucket"]


def test_check_refuses_a_property_the_stand_in_does_not_serve_loudly():
    _, failures = checks.check(ROLE, {**ROLE_INPUTS, "permissionsBoundary": "arn:aws:iam::1:policy/p"})
    assert [f.property for f in failures] == ["permissionsBoundary"]
    assert "does not serve property 'permissionsBoundary' of aws:iam/role:Role" in failures[0].reason


def test_check_refuses_an_unknown_nested_property_and_a_computed_one():
    spec = RESOURCES["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"]
    _, failures = checks.check(
        spec, {"bucket": "b", "rules": [{"id": "x", "status": "Enabled", "transitions": []}]}
    )
    assert [f.property for f in failures] == ["rules[0].transitions"]
    _, failures = checks.check(ROLE, {**ROLE_INPUTS, "arn": "arn:aws:iam::1:role/r"})
    assert [f.property for f in failures] == ["arn"]


def test_check_applies_terraforms_defaults_and_requires_what_terraform_requires():
    inputs, failures = checks.check(ROLE, {"name": "r", "assumeRolePolicy": POLICY})
    assert failures == []
    assert (inputs["path"], inputs["maxSessionDuration"], inputs["forceDetachPolicies"]) == ("/", 3600, False)
    _, failures = checks.check(ROLE, {"name": "r"})
    assert [f.property for f in failures] == ["assumeRolePolicy"]


LOCAL = {
    "region": "us-east-1",
    "endpoints": json.dumps(
        [{"s3": "http://127.0.0.1:1", "iam": "http://127.0.0.1:1", "sts": "http://127.0.0.1:1"}]
    ),
    "skipCredentialsValidation": "true",
    "s3UsePathStyle": "true",
}


def test_the_local_stack_config_is_honoured():
    parsed = config.parse(LOCAL)
    assert parsed.region == "us-east-1"
    assert parsed.endpoints == {
        "s3": "http://127.0.0.1:1",
        "iam": "http://127.0.0.1:1",
        "sts": "http://127.0.0.1:1",
    }
    assert parsed.path_style is True


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"endpoints": None}, "aws:endpoints"),
        ({"endpoints": json.dumps([{"s3": "http://127.0.0.1:1", "iam": "http://127.0.0.1:1"}])}, "sts"),
        (
            {
                "endpoints": json.dumps(
                    [{"s3": "https://s3.amazonaws.com", "iam": "http://127.0.0.1:1", "sts": "x"}]
                )
            },
            "not a URL on this machine",
        ),
        ({"defaultTags": "{}"}, "aws:defaultTags"),
        ({"region": None}, "aws:region"),
    ],
)
def test_a_config_that_could_reach_real_aws_or_is_not_served_is_refused_by_key(change, named):
    values = {key: value for key, value in {**LOCAL, **change}.items() if value is not None}
    with pytest.raises(config.ConfigError, match=named):
        config.parse(values)


def _plugin(directory: Path, text: str = "#!/bin/sh\n") -> Path:
    directory.mkdir(parents=True)
    path = directory / "pulumi-resource-aws"
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_an_installed_real_plugin_is_used_instead_of_the_stand_in(tmp_path: Path):
    older = _plugin(tmp_path / "home/plugins/resource-aws-v7.2.0")
    newer = _plugin(tmp_path / "home/plugins/resource-aws-v7.51.1")
    _plugin(tmp_path / "home/plugins/resource-aws-v6.80.0")
    environ = {"PULUMI_HOME": str(tmp_path / "home"), "PATH": ""}
    assert handover.real_plugin(environ, tmp_path / "standin") == newer != older


def test_a_partial_install_and_another_copy_of_the_stand_in_are_not_real_plugins(tmp_path: Path):
    _plugin(tmp_path / "home/plugins/resource-aws-v7.51.1")
    (tmp_path / "home/plugins/resource-aws-v7.51.1.partial").write_text("")
    copy = _plugin(tmp_path / "other-checkout", "exec python3 -P -m dev.aws_standin\n")
    environ = {"PULUMI_HOME": str(tmp_path / "home"), "PATH": str(copy.parent)}
    assert handover.real_plugin(environ, tmp_path / "standin") is None
    real = _plugin(tmp_path / "elsewhere")
    environ["PATH"] += f":{real.parent}"
    assert handover.real_plugin(environ, tmp_path / "standin") == real
