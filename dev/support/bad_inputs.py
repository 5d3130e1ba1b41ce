"""The catalogue of bad inputs a user can give, and the error each one produces.

One list drives three things: ``tests/test_bad_inputs.py`` (each case fails before any API request,
naming the key or field and the fix), ``dev/bad_inputs_table.py`` (which writes
``docs/bad-inputs.md`` from the messages the code really produces) and ``dev/benchmark.py provider``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from analytics_export.settings import ConfigError, settings_from_config
from dev.support.provider_factory import PROJECT, configured_provider

STACK = "dev"
BASE_STACK_CONFIG: dict[str, Any] = {"aws:region": "eu-central-1"}
BASE_INPUTS: dict[str, Any] = {
    "bucket_name": "acme-analytics",
    "role_arn": "arn:aws:iam::123456789012:role/bitmovin-analytics-export-dev",
}
TEST_API_KEY = "bad-inputs-key-3e8d"
PROJECT_FILE = Path(__file__).resolve().parents[2] / "Pulumi.yaml"
_INT64 = range(-(2**63), 2**63)

Kind = Literal["stack config", "resource input", "provider config"]


@dataclass(frozen=True)
class BadInput:
    """One mistake: ``key`` is the config key or resource input named in the error.

    ``secret``: the user set ``key`` with ``pulumi config set --secret``; its value must not appear in
    the error, and the fix must keep it a secret.
    """

    kind: Kind
    key: str
    value: Any
    why: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    secret: bool = False

    @property
    def shown_value(self) -> Any:
        """The value as a report may print it: ``<secret>`` for a secret."""
        return "<secret>" if self.secret else self.value


CASES: tuple[BadInput, ...] = (
    # -- stack config (Pulumi.<stack>.yaml), validated by the program before any resource exists
    BadInput("stack config", "bucketName", "Acme_Exports", "uppercase and underscore"),
    BadInput("stack config", "bucketName", "ab", "too short"),
    BadInput("stack config", "bucketName", "192.168.10.1", "looks like an IP address"),
    BadInput("stack config", "existingBucketName", "acme..exports", "consecutive dots"),
    BadInput(
        "stack config",
        "bucketName",
        "acme-exports",
        "conflicts with existingBucketName",
        extra={"existingBucketName": "acme-existing"},
    ),
    BadInput("stack config", "existingOutputId", "my-output", "an existing output id is not a UUID"),
    BadInput(
        "stack config",
        "existingOutputId",
        "CB90B80C-8867-4E3B-8479-174AA2843F62",
        "an existing output id in a non-canonical form",
    ),
    BadInput(
        "stack config",
        "outputName",
        "renamed",
        "conflicts with existingOutputId (the output keeps its own name)",
        extra={"existingOutputId": "cb90b80c-8867-4e3b-8479-174aa2843f62"},
    ),
    BadInput("stack config", "roleName", "r" * 70, "longer than 64 characters"),
    BadInput("stack config", "roleName", "bitmovin role", "space in a role name"),
    BadInput("stack config", "externalIdMode", "global", "enum values are case-sensitive"),
    BadInput(
        "stack config", "externalId", "", "CUSTOM without an external ID", extra={"externalIdMode": "CUSTOM"}
    ),
    BadInput("stack config", "externalId", "my-external-id", "external ID with GLOBAL mode"),
    BadInput("stack config", "exportPrefix", "/analytics/", "leading slash"),
    BadInput("stack config", "exportPrefix", "analytics", "no trailing slash"),
    BadInput("stack config", "kmsKeyArn", "alias/analytics", "an alias, not a key ARN"),
    BadInput("stack config", "kmsKeyArn", "1234abcd-12ab-34cd-56ef-1234567890ab", "a bare key id"),
    BadInput("stack config", "retentionDays", "-7", "negative retention"),
    BadInput("stack config", "retentionDays", "thirty", "not a number"),
    BadInput("stack config", "objectOwnership", "ObjectWriter", "ACL-owned objects are not offered"),
    BadInput("stack config", "retainBucketOnDestroy", "yes", "not a boolean"),
    BadInput("stack config", "aclPermission", "PUBLIC_READ", "public ACL while public access is blocked"),
    BadInput("stack config", "bitmovin:tenantOrgId", "acme-corp", "organization id is not a UUID"),
    BadInput("stack config", "aws:region", "Frankfurt", "not a region name"),
    BadInput(
        "stack config", "bitmovinPrincipalArn", "arn:aws:iam::630681592166:group/x", "not a user or role ARN"
    ),
    BadInput("stack config", "outputName", "n" * 300, "longer than 255 characters"),
    # -- issue 9: values AWS, IAM or STS refuse, or that widen the role's access (docs/hardening.md)
    BadInput("stack config", "exportPrefix", "a*/", "IAM wildcard: the role could write a-private/"),
    BadInput("stack config", "exportPrefix", "exports/?/", "IAM single-character wildcard"),
    BadInput("stack config", "exportPrefix", "${aws:username}/", "IAM policy variable"),
    BadInput("stack config", "exportPrefix", "a/../b/", "'..' segment"),
    BadInput("stack config", "exportPrefix", "./analytics/", "'.' segment"),
    BadInput("stack config", "exportPrefix", "analytics/\n", "trailing newline (YAML block scalar)"),
    BadInput("stack config", "bucketName", "acme-exports\n", "trailing newline"),
    BadInput("stack config", "bucketName", "sthree-exports", "reserved prefix sthree-"),
    BadInput("stack config", "bucketName", "amzn-s3-demo-exports", "reserved prefix amzn-s3-demo-"),
    BadInput("stack config", "bucketName", "acme-exports--table-s3", "reserved suffix --table-s3"),
    BadInput("stack config", "bucketName", "acme-exports.mrap", "reserved suffix .mrap"),
    BadInput("stack config", "bucketName", "acme-exports-an", "account regional namespace suffix"),
    BadInput("stack config", "existingBucketName", "xn--acme-exports", "reserved prefix xn--"),
    BadInput("stack config", "roleName", "bitmovin-r\u00f4le", "non-ASCII letter"),
    BadInput("stack config", "roleName", "bitmovin-writer\n", "trailing newline"),
    BadInput(
        "stack config",
        "externalId",
        "\u00c4\u00d6\u00dc-external-id",
        "non-ASCII letters in an external ID",
        extra={"externalIdMode": "CUSTOM"},
    ),
    BadInput(
        "stack config",
        "bitmovin:tenantOrgId",
        "{9C1D2E3F-4A5B-4C6D-8E7F-8091A2B3C4D5}",
        "non-canonical UUID (braces, uppercase)",
    ),
    BadInput(
        "stack config",
        "bitmovin:tenantOrgId",
        "urn:uuid:9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
        "non-canonical UUID (URN)",
    ),
    BadInput(
        "stack config",
        "bitmovin:tenantOrgId",
        "9c1d2e3f4a5b4c6d8e7f8091a2b3c4d5",
        "non-canonical UUID (no dashes)",
    ),
    BadInput("stack config", "retentionDays", "2147483648", "beyond the S3 lifecycle limit"),
    BadInput("stack config", "retentionDays", "9" * 40, "absurdly large"),
    BadInput(
        "stack config",
        "kmsKeyArn",
        "arn:aws-cn:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "key ARN in another partition",
    ),
    BadInput(
        "stack config",
        "kmsKeyArn",
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "key in another region than the bucket",
    ),
    BadInput(
        "stack config",
        "kmsKeyArn",
        "arn:aws:kms:eu-central-1:123456789012:key/1234ABCD-12AB-34CD-56EF-1234567890AB",
        "uppercase key id",
    ),
    BadInput("stack config", "aws:region", "us-iso-east-1", "isolated partition"),
    BadInput("stack config", "aws:region", "eu-central-1\n", "trailing newline"),
    BadInput(
        "stack config", "bitmovinPrincipalArn", "arn:aws:iam::630681592166:user/*", "wildcard principal"
    ),
    BadInput("stack config", "externalID", "s3cr3t-ext-id-value", "misspelled secret key", secret=True),
    # -- the bitmovin: namespace is this project's: a key nothing reads is a typo, never ignored
    BadInput(
        "stack config",
        "bitmovin:tenantOrgID",
        "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
        "misspelt key: the output would land in the key's own organization",
    ),
    BadInput(
        "stack config", "bitmovin:tenant_org_id", "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5", "snake_case key"
    ),
    BadInput("stack config", "bitmovin:apiURL", "https://api.bitmovin.com/v1", "misspelt key (case)"),
    BadInput("stack config", "bitmovin:readTimeoutSecond", "45", "misspelt key (missing s)"),
    BadInput("stack config", "bitmovin:apikey", "bmv-plain-key-0a1b", "misspelt API key, in plain text"),
    BadInput(
        "stack config", "bitmovin:api_key", "bmv-secret-key-2c3d", "misspelt API key, a secret", secret=True
    ),
    BadInput(
        "stack config",
        "tenantOrgId",
        "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
        "provider key in the project namespace",
    ),
    BadInput(
        "stack config",
        "bitmovin:tenantOrgId",
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "the API documentation's example organization id",
    ),
    # -- resource inputs of AnalyticsS3RoleBasedOutput, checked by the provider's `check`
    BadInput("resource input", "bucket_name", "Bad_Bucket", "invalid bucket name"),
    BadInput(
        "resource input", "role_arn", "arn:aws:iam::123456789012:user/someone", "a user ARN, not a role ARN"
    ),
    BadInput("resource input", "role_arn", "bitmovin-role", "a role name, not an ARN"),
    BadInput("resource input", "external_id", "abc-123", "external_id without CUSTOM mode"),
    BadInput("resource input", "external_id_mode", "RANDOM", "unknown mode"),
    BadInput("resource input", "acl", [{"permission": "PUBLIC"}], "unknown ACL permission"),
    BadInput("resource input", "custom_data", "team=video", "custom data is not a mapping"),
    BadInput("resource input", "tenant_org_id", "acme", "organization id is not a UUID"),
    BadInput("resource input", "cloud_region", "eu-west-1", "AWS name instead of the Bitmovin enum"),
    BadInput("resource input", "signature_version", "V4", "unknown signature version"),
    BadInput("resource input", "md5_meta_tag", "md5 sum", "not usable in an x-amz-meta- header"),
    BadInput("resource input", "md5_meta_tag", "md5\n", "trailing newline"),
    BadInput("resource input", "role_arn", "arn:aws:iam::123456789012:role/bitmovin\n", "trailing newline"),
    BadInput("resource input", "role_arn", "arn:aws:iam::123456789012:role/r\u00f4le", "non-ASCII role name"),
    BadInput(
        "resource input",
        "tenant_org_id",
        "9C1D2E3F-4A5B-4C6D-8E7F-8091A2B3C4D5",
        "uppercase UUID would be sent verbatim",
    ),
    BadInput("resource input", "bucket_name", "sthree-exports", "reserved bucket prefix"),
    BadInput(
        "resource input",
        "external_id",
        "\u00e9t\u00e9-id",
        "non-ASCII external ID",
        extra={"external_id_mode": "CUSTOM"},
    ),
    # -- provider config, read by the provider (configure) and reported by `check`
    BadInput("provider config", "bitmovin:apiKey", None, "no API key anywhere"),
    BadInput("provider config", "bitmovin:apiKey", "key\twith-tab", "control character in the key"),
    BadInput("provider config", "bitmovin:readTimeoutSeconds", "soon", "timeout is not a number"),
    BadInput(
        "provider config",
        "bitmovin:tenantOrgID",
        "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
        "misspelt key nothing reads (a component used from another project)",
    ),
    BadInput("provider config", "bitmovin:readTimeoutSecond", "45", "misspelt key nothing reads"),
    BadInput(
        "provider config", "bitmovin:apiUrl", "http://api.bitmovin.com/v1", "plain HTTP to a remote API"
    ),
    BadInput(
        "provider config",
        "bitmovin:apiUrl",
        "http://localhost.evil.example/v1",
        "loopback look-alike host over plain HTTP",
    ),
    BadInput(
        "provider config",
        "bitmovin:apiUrl",
        "http://127.0.0.1.evil.example/v1",
        "loopback-IP look-alike host",
    ),
    BadInput(
        "provider config",
        "bitmovin:apiUrl",
        "http://localhost@evil.example/v1",
        "user info hides the real host",
    ),
    BadInput(
        "provider config",
        "bitmovin:apiUrl",
        "https://api.bitmovin.com/v1?X-Api-Key=k",
        "query string in the URL",
    ),
    BadInput("provider config", "bitmovin:apiUrl", "https://api.bitmovin.com", "no /v1 version path"),
    BadInput("provider config", "bitmovin:apiUrl", "https://api.bitmovin.com/v2", "another API version"),
)


def error_for(case: BadInput, api_url: str) -> str:
    """The error text a user sees for ``case``; raises AssertionError if the input is accepted."""
    if case.kind == "stack config":
        return _stack_config_error(case)
    return _provider_check_error(case, api_url)


def _stack_config_error(case: BadInput) -> str:
    """What the program's config validation says about the case's key (a secret case as a secret)."""
    raw = {**BASE_STACK_CONFIG, **case.extra, case.key: case.value}
    secret_keys = frozenset({case.key}) if case.secret else frozenset()
    try:
        settings_from_config(raw, project=PROJECT, stack=STACK, secret_keys=secret_keys)
    except ConfigError as error:
        return "\n".join(str(problem) for problem in error.problems if problem.key == case.key)
    raise AssertionError(f"stack config {case.key}={case.value!r} was accepted")


def _provider_check_error(case: BadInput, api_url: str) -> str:
    """What the provider's ``check`` says, configured with a key and ``api_url`` unless the case
    replaces one of them (``None``: the setting is not set at all)."""
    settings: dict[str, Any] = {"apiUrl": api_url, "apiKey": TEST_API_KEY}
    news = dict(BASE_INPUTS)
    if case.kind == "provider config":
        settings[case.key.removeprefix("bitmovin:")] = case.value
    else:
        news[case.key] = case.value
    url, key = settings.pop("apiUrl"), settings.pop("apiKey")
    others = {name: value for name, value in settings.items() if value is not None}
    failures = configured_provider(url, key, **others).check({}, {**news, **case.extra}).failures
    if not failures:
        raise AssertionError(f"{case.kind} {case.key}={case.value!r} was accepted")
    return "\n".join(f"{f.property}: {f.reason}" if f.property else f.reason for f in failures)


@cache
def declared_types(project_file: Path = PROJECT_FILE) -> dict[str, str]:
    """``type`` of every project key ``Pulumi.yaml`` declares (``retentionDays``: ``integer``)."""
    config = (yaml.safe_load(project_file.read_text()) or {}).get("config") or {}
    return {key: spec["type"] for key, spec in config.items() if isinstance(spec, Mapping) and "type" in spec}


def cli_type_error(key: str, value: Any, stack: str = STACK) -> str | None:
    """What ``pulumi`` itself prints, before the program runs, when ``Pulumi.yaml`` types ``key`` and the
    stack's ``value`` is not of that type; None when the CLI lets it through to the program.

    The rule of Pulumi's ``validateStackConfigValue`` and ``workspace.ValidateConfigValue`` (pkg and sdk
    v3.274.1): an ``integer`` is what Go's ``strconv.Atoi`` parses (optional sign, decimal digits,
    64-bit), a ``boolean`` exactly ``true`` or ``false``. tests/test_cli.py checks it against the CLI.
    """
    kind = declared_types().get(key)
    if not isinstance(value, str) or kind not in ("integer", "boolean"):
        return None
    if kind == "integer" and re.fullmatch(r"[+-]?[0-9]+", value) and int(value) in _INT64:
        return None
    if kind == "boolean" and value in ("true", "false"):
        return None
    return f"error: validating stack config: Stack '{stack}' with configuration key '{key}' must be of type '{kind}'"
