"""The catalogue of bad inputs a user can give, and the error each one produces.

One list drives three things: ``tests/analytics_export/test_bad_inputs.py`` (each case fails before any API request,
naming the key or field and the fix), ``dev/bad_inputs_table.py`` (which writes
``docs/bad-inputs.md`` from the messages the code really produces) and ``dev/benchmark.py provider``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from analytics_export.config_keys import PROJECT_KEYS
from analytics_export.settings import ConfigError, settings_from_config
from bitmovin_api.redaction import SECRET_MASK
from dev.support.provider_factory import PROJECT, configured_provider

STACK = "dev"
BASE_STACK_CONFIG: dict[str, Any] = {"aws:region": "eu-central-1"}
BASE_INPUTS: dict[str, Any] = {
    "bucket_name": "acme-analytics",
    "role_arn": "arn:aws:iam::123456789012:role/bitmovin-analytics-export-dev",
}
TEST_API_KEY = "bad-inputs-key-3e8d"
_INT64 = range(-(2**63), 2**63)


class Kind(StrEnum):
    """Where a bad input is given, and so which code reports it."""

    STACK_CONFIG = "stack config"  # the program, before any resource exists
    RESOURCE_INPUT = "resource input"  # the dynamic provider's check
    PROVIDER_CONFIG = "provider config"  # the provider's configure, reported by check


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
        """The value as a report may print it: the one secret placeholder for a secret."""
        return SECRET_MASK if self.secret else self.value


CASES: tuple[BadInput, ...] = (
    # -- stack config (Pulumi.<stack>.yaml), validated by the program before any resource exists
    BadInput(Kind.STACK_CONFIG, "bucketName", "Acme_Exports", "uppercase and underscore"),
    BadInput(Kind.STACK_CONFIG, "bucketName", "ab", "too short"),
    BadInput(Kind.STACK_CONFIG, "bucketName", "192.168.10.1", "looks like an IP address"),
    BadInput(Kind.STACK_CONFIG, "existingBucketName", "acme..exports", "consecutive dots"),
    BadInput(
        Kind.STACK_CONFIG,
        "bucketName",
        "acme-exports",
        "conflicts with existingBucketName",
        extra={"existingBucketName": "acme-existing"},
    ),
    BadInput(Kind.STACK_CONFIG, "existingOutputId", "my-output", "an existing output id is not a UUID"),
    BadInput(
        Kind.STACK_CONFIG,
        "existingOutputId",
        "CB90B80C-8867-4E3B-8479-174AA2843F62",
        "an existing output id in a non-canonical form",
    ),
    BadInput(
        Kind.STACK_CONFIG,
        "outputName",
        "renamed",
        "conflicts with existingOutputId (the output keeps its own name)",
        extra={"existingOutputId": "cb90b80c-8867-4e3b-8479-174aa2843f62"},
    ),
    BadInput(Kind.STACK_CONFIG, "adoptOutputId", "my-output", "an output id to adopt is not a UUID"),
    BadInput(
        Kind.STACK_CONFIG,
        "adoptOutputId",
        "CB90B80C-8867-4E3B-8479-174AA2843F62",
        "an output id to adopt in a non-canonical form",
    ),
    BadInput(
        Kind.STACK_CONFIG,
        "existingOutputId",
        "cb90b80c-8867-4e3b-8479-174aa2843f62",
        "references and adopts an output at once",
        extra={"adoptOutputId": "cb90b80c-8867-4e3b-8479-174aa2843f62"},
    ),
    BadInput(Kind.STACK_CONFIG, "roleName", "r" * 70, "longer than 64 characters"),
    BadInput(Kind.STACK_CONFIG, "roleName", "bitmovin role", "space in a role name"),
    BadInput(Kind.STACK_CONFIG, "externalIdMode", "global", "enum values are case-sensitive"),
    BadInput(
        Kind.STACK_CONFIG,
        "externalId",
        "",
        "CUSTOM without an external ID",
        extra={"externalIdMode": "CUSTOM"},
    ),
    BadInput(Kind.STACK_CONFIG, "externalId", "my-external-id", "external ID with GLOBAL mode"),
    BadInput(Kind.STACK_CONFIG, "exportPrefix", "/analytics/", "leading slash"),
    BadInput(Kind.STACK_CONFIG, "exportPrefix", "analytics", "no trailing slash"),
    BadInput(Kind.STACK_CONFIG, "kmsKeyArn", "alias/analytics", "an alias, not a key ARN"),
    BadInput(Kind.STACK_CONFIG, "kmsKeyArn", "1234abcd-12ab-34cd-56ef-1234567890ab", "a bare key id"),
    BadInput(Kind.STACK_CONFIG, "retentionDays", "-7", "negative retention"),
    BadInput(Kind.STACK_CONFIG, "retentionDays", "thirty", "not a number"),
    BadInput(Kind.STACK_CONFIG, "objectOwnership", "ObjectWriter", "ACL-owned objects are not offered"),
    BadInput(Kind.STACK_CONFIG, "retainBucketOnDestroy", "yes", "not a boolean"),
    BadInput(Kind.STACK_CONFIG, "aclPermission", "PUBLIC_READ", "public ACL while public access is blocked"),
    BadInput(Kind.STACK_CONFIG, "bitmovin:tenantOrgId", "acme-corp", "organization id is not a UUID"),
    BadInput(Kind.STACK_CONFIG, "aws:region", "Frankfurt", "not a region name"),
    BadInput(
        Kind.STACK_CONFIG,
        "bitmovinPrincipalArn",
        "arn:aws:iam::630681592166:group/x",
        "not a user or role ARN",
    ),
    BadInput(Kind.STACK_CONFIG, "outputName", "n" * 300, "longer than 255 characters"),
    # -- issue 9: values AWS, IAM or STS refuse, or that widen the role's access (docs/hardening.md)
    BadInput(Kind.STACK_CONFIG, "exportPrefix", "a*/", "IAM wildcard: the role could write a-private/"),
    BadInput(Kind.STACK_CONFIG, "exportPrefix", "exports/?/", "IAM single-character wildcard"),
    BadInput(Kind.STACK_CONFIG, "exportPrefix", "${aws:username}/", "IAM policy variable"),
    BadInput(Kind.STACK_CONFIG, "exportPrefix", "a/../b/", "'..' segment"),
    BadInput(Kind.STACK_CONFIG, "exportPrefix", "./analytics/", "'.' segment"),
    BadInput(Kind.STACK_CONFIG, "exportPrefix", "analytics/\n", "trailing newline (YAML block scalar)"),
    BadInput(Kind.STACK_CONFIG, "bucketName", "acme-exports\n", "trailing newline"),
    BadInput(Kind.STACK_CONFIG, "bucketName", "sthree-exports", "reserved prefix sthree-"),
    BadInput(Kind.STACK_CONFIG, "bucketName", "amzn-s3-demo-exports", "reserved prefix amzn-s3-demo-"),
    BadInput(Kind.STACK_CONFIG, "bucketName", "acme-exports--table-s3", "reserved suffix --table-s3"),
    BadInput(Kind.STACK_CONFIG, "bucketName", "acme-exports.mrap", "reserved suffix .mrap"),
    BadInput(Kind.STACK_CONFIG, "bucketName", "acme-exports-an", "account regional namespace suffix"),
    BadInput(Kind.STACK_CONFIG, "existingBucketName", "xn--acme-exports", "reserved prefix xn--"),
    BadInput(Kind.STACK_CONFIG, "roleName", "bitmovin-r\u00f4le", "non-ASCII letter"),
    BadInput(Kind.STACK_CONFIG, "roleName", "bitmovin-writer\n", "trailing newline"),
    BadInput(
        Kind.STACK_CONFIG,
        "externalId",
        "\u00c4\u00d6\u00dc-external-id",
        "non-ASCII letters in an external ID",
        extra={"externalIdMode": "CUSTOM"},
    ),
    BadInput(
        Kind.STACK_CONFIG,
        "bitmovin:tenantOrgId",
        "{9C1D2E3F-4A5B-4C6D-8E7F-8091A2B3C4D5}",
        "non-canonical UUID (braces, uppercase)",
    ),
    BadInput(
        Kind.STACK_CONFIG,
        "bitmovin:tenantOrgId",
        "urn:uuid:9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
        "non-canonical UUID (URN)",
    ),
    BadInput(
        Kind.STACK_CONFIG,
        "bitmovin:tenantOrgId",
        "9c1d2e3f4a5b4c6d8e7f8091a2b3c4d5",
        "non-canonical UUID (no dashes)",
    ),
    BadInput(Kind.STACK_CONFIG, "retentionDays", "2147483648", "beyond the S3 lifecycle limit"),
    BadInput(Kind.STACK_CONFIG, "retentionDays", "9" * 40, "absurdly large"),
    BadInput(
        Kind.STACK_CONFIG,
        "kmsKeyArn",
        "arn:aws-cn:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "key ARN in another partition",
    ),
    BadInput(
        Kind.STACK_CONFIG,
        "kmsKeyArn",
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "key in another region than the bucket",
    ),
    BadInput(
        Kind.STACK_CONFIG,
        "kmsKeyArn",
        "arn:aws:kms:eu-central-1:123456789012:key/1234ABCD-12AB-34CD-56EF-1234567890AB",
        "uppercase key id",
    ),
    BadInput(Kind.STACK_CONFIG, "aws:region", "us-iso-east-1", "isolated partition"),
    BadInput(Kind.STACK_CONFIG, "aws:region", "eu-central-1\n", "trailing newline"),
    BadInput(
        Kind.STACK_CONFIG, "bitmovinPrincipalArn", "arn:aws:iam::630681592166:user/*", "wildcard principal"
    ),
    BadInput(Kind.STACK_CONFIG, "externalID", "s3cr3t-ext-id-value", "misspelled secret key", secret=True),
    BadInput(
        Kind.STACK_CONFIG,
        "externalId",
        "\u00c4\u00d6\u00dc-geheim",
        "non-ASCII letters in a secret external ID",
        extra={"externalIdMode": "CUSTOM"},
        secret=True,
    ),
    # -- the bitmovin: namespace is this project's: a key nothing reads is a typo, never ignored
    BadInput(
        Kind.STACK_CONFIG,
        "bitmovin:tenantOrgID",
        "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
        "misspelt key: the output would land in the key's own organization",
    ),
    BadInput(
        Kind.STACK_CONFIG, "bitmovin:tenant_org_id", "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5", "snake_case key"
    ),
    BadInput(
        Kind.STACK_CONFIG,
        "bitmovin:tenantOrgID",
        "acme-corp",
        "misspelt key whose value is no organization id (moved unseen, then refused where it goes)",
    ),
    BadInput(Kind.STACK_CONFIG, "bitmovin:apiURL", "https://api.bitmovin.com/v1", "misspelt key (case)"),
    BadInput(Kind.STACK_CONFIG, "bitmovin:readTimeoutSecond", "45", "misspelt key (missing s)"),
    BadInput(Kind.STACK_CONFIG, "bitmovin:apikey", "bmv-plain-key-0a1b", "misspelt API key, in plain text"),
    BadInput(
        Kind.STACK_CONFIG,
        "bitmovin:api_key",
        "bmv-secret-key-2c3d",
        "misspelt API key, a secret",
        secret=True,
    ),
    BadInput(
        Kind.STACK_CONFIG,
        "tenantOrgId",
        "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
        "provider key in the project namespace",
    ),
    BadInput(
        Kind.STACK_CONFIG,
        "bitmovin:tenantOrgId",
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "the API documentation's example organization id",
    ),
    # -- issue 22: control characters in free text sent to Bitmovin, a retention beyond 100 years
    BadInput(Kind.STACK_CONFIG, "outputName", "acme\nprod", "newline in the output's name"),
    BadInput(Kind.STACK_CONFIG, "outputName", "acme-\x1b[31mprod", "terminal escape sequence"),
    BadInput(Kind.STACK_CONFIG, "outputName", "acme\u202eprod", "bidi override (Trojan Source)"),
    BadInput(Kind.STACK_CONFIG, "retentionDays", "100000", "274 years: a typo, not a policy"),
    BadInput(Kind.STACK_CONFIG, "outputDescription", "exports\r\nfor acme", "line break in the description"),
    BadInput(Kind.STACK_CONFIG, "outputDescription", "d" * 1025, "longer than 1024 characters"),
    # -- resource inputs of AnalyticsS3RoleBasedOutput, checked by the provider's `check`
    BadInput(Kind.RESOURCE_INPUT, "bucket_name", "Bad_Bucket", "invalid bucket name"),
    BadInput(
        Kind.RESOURCE_INPUT,
        "role_arn",
        "arn:aws:iam::123456789012:user/someone",
        "a user ARN, not a role ARN",
    ),
    BadInput(Kind.RESOURCE_INPUT, "role_arn", "bitmovin-role", "a role name, not an ARN"),
    BadInput(Kind.RESOURCE_INPUT, "external_id", "abc-123", "external_id without CUSTOM mode"),
    BadInput(Kind.RESOURCE_INPUT, "external_id_mode", "RANDOM", "unknown mode"),
    BadInput(Kind.RESOURCE_INPUT, "acl", [{"permission": "PUBLIC"}], "unknown ACL permission"),
    BadInput(Kind.RESOURCE_INPUT, "custom_data", "team=video", "custom data is not a mapping"),
    BadInput(Kind.RESOURCE_INPUT, "tenant_org_id", "acme", "organization id is not a UUID"),
    BadInput(Kind.RESOURCE_INPUT, "cloud_region", "eu-west-1", "AWS name instead of the Bitmovin enum"),
    BadInput(Kind.RESOURCE_INPUT, "signature_version", "V4", "unknown signature version"),
    BadInput(Kind.RESOURCE_INPUT, "md5_meta_tag", "md5 sum", "not usable in an x-amz-meta- header"),
    BadInput(Kind.RESOURCE_INPUT, "md5_meta_tag", "md5\n", "trailing newline"),
    BadInput(
        Kind.RESOURCE_INPUT, "role_arn", "arn:aws:iam::123456789012:role/bitmovin\n", "trailing newline"
    ),
    BadInput(
        Kind.RESOURCE_INPUT, "role_arn", "arn:aws:iam::123456789012:role/r\u00f4le", "non-ASCII role name"
    ),
    BadInput(
        Kind.RESOURCE_INPUT,
        "tenant_org_id",
        "9C1D2E3F-4A5B-4C6D-8E7F-8091A2B3C4D5",
        "uppercase UUID would be sent verbatim",
    ),
    BadInput(Kind.RESOURCE_INPUT, "bucket_name", "sthree-exports", "reserved bucket prefix"),
    BadInput(
        Kind.RESOURCE_INPUT,
        "external_id",
        "\u00e9t\u00e9-id",
        "non-ASCII external ID",
        extra={"external_id_mode": "CUSTOM"},
    ),
    BadInput(Kind.RESOURCE_INPUT, "name", "acme\r\nprod", "CR LF in the output's name"),
    BadInput(Kind.RESOURCE_INPUT, "description", "exports\x1b]0;owned\x07", "terminal title escape"),
    BadInput(Kind.RESOURCE_INPUT, "custom_data", {"team": "video\n"}, "newline in a custom data value"),
    # -- provider config, read by the provider (configure) and reported by `check`
    BadInput(Kind.PROVIDER_CONFIG, "bitmovin:apiKey", None, "no API key anywhere"),
    BadInput(Kind.PROVIDER_CONFIG, "bitmovin:apiKey", "key\twith-tab", "control character in the key"),
    BadInput(Kind.PROVIDER_CONFIG, "bitmovin:readTimeoutSeconds", "soon", "timeout is not a number"),
    BadInput(
        Kind.PROVIDER_CONFIG,
        "bitmovin:tenantOrgID",
        "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
        "misspelt key nothing reads (a component used from another project)",
    ),
    BadInput(Kind.PROVIDER_CONFIG, "bitmovin:readTimeoutSecond", "45", "misspelt key nothing reads"),
    BadInput(
        Kind.PROVIDER_CONFIG, "bitmovin:apiUrl", "http://api.bitmovin.com/v1", "plain HTTP to a remote API"
    ),
    BadInput(
        Kind.PROVIDER_CONFIG,
        "bitmovin:apiUrl",
        "http://localhost.evil.example/v1",
        "loopback look-alike host over plain HTTP",
    ),
    BadInput(
        Kind.PROVIDER_CONFIG,
        "bitmovin:apiUrl",
        "http://127.0.0.1.evil.example/v1",
        "loopback-IP look-alike host",
    ),
    BadInput(
        Kind.PROVIDER_CONFIG,
        "bitmovin:apiUrl",
        "http://localhost@evil.example/v1",
        "user info hides the real host",
    ),
    BadInput(
        Kind.PROVIDER_CONFIG,
        "bitmovin:apiUrl",
        "https://api.bitmovin.com/v1?X-Api-Key=k",
        "query string in the URL",
    ),
    BadInput(Kind.PROVIDER_CONFIG, "bitmovin:apiUrl", "https://api.bitmovin.com", "no /v1 version path"),
    BadInput(Kind.PROVIDER_CONFIG, "bitmovin:apiUrl", "https://api.bitmovin.com/v2", "another API version"),
)


def error_for(case: BadInput, api_url: str) -> str:
    """The error text a user sees for ``case``; raises AssertionError if the input is accepted."""
    if case.kind == Kind.STACK_CONFIG:
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
    if case.kind == Kind.PROVIDER_CONFIG:
        settings[case.key.removeprefix("bitmovin:")] = case.value
    else:
        news[case.key] = case.value
    url, key = settings.pop("apiUrl"), settings.pop("apiKey")
    others = {name: value for name, value in settings.items() if value is not None}
    failures = configured_provider(url, key, **others).check({}, {**news, **case.extra}).failures
    if not failures:
        raise AssertionError(f"{case.kind} {case.key}={case.value!r} was accepted")
    return "\n".join(f"{f.property}: {f.reason}" if f.property else f.reason for f in failures)


def cli_type_error(key: str, value: Any, stack: str = STACK) -> str | None:
    """What ``pulumi`` itself prints, before the program runs, when ``Pulumi.yaml`` types ``key`` and the
    stack's ``value`` is not of that type; None when the CLI lets it through to the program.

    The rule of Pulumi's ``validateStackConfigValue`` and ``workspace.ValidateConfigValue`` (pkg and sdk
    v3.274.1): an ``integer`` is what Go's ``strconv.Atoi`` parses (optional sign, decimal digits,
    64-bit), a ``boolean`` exactly ``true`` or ``false``. tests/engine/test_cli.py checks it against the CLI.
    """
    declared = PROJECT_KEYS.get(key)
    kind = declared.type if declared else None
    if not isinstance(value, str) or kind not in ("integer", "boolean"):
        return None
    if kind == "integer" and re.fullmatch(r"[+-]?[0-9]+", value) and int(value) in _INT64:
        return None
    if kind == "boolean" and value in ("true", "false"):
        return None
    return f"error: validating stack config: Stack '{stack}' with configuration key '{key}' must be of type '{kind}'"
