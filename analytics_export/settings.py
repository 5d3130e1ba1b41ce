"""Stack configuration -> :class:`ExportSettings`, or a :class:`ConfigError` naming every bad key.

:func:`settings_from_config` is pure (a mapping of raw config values in, a frozen dataclass out) so
every rule is unit-tested without Pulumi; :func:`load_settings` only gathers the raw values from the
running stack. The value rules themselves live in :mod:`providers.validation`, shared with the
dynamic provider's ``check``.

The program never reads ``bitmovin:apiKey``: only the dynamic provider does, in its own process.

Optional keys are declared in ``Pulumi.yaml`` with ``default: ""`` (or ``0``), because the Pulumi CLI
treats a declared project key without a default as required. The CLI also injects those defaults
into the program's config, so an empty string means "not set" and a value equal to its declared
default never counts as "set" when looking for conflicting keys.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analytics_export import naming
from analytics_export.policies import BITMOVIN_PRINCIPAL, arn_partition, principal_arn_problem
from providers import validation as rules

# ---------------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True)
class ConfigKey:
    """A project config key as declared in ``Pulumi.yaml`` (tests compare both)."""

    name: str
    type: str  # string | boolean | integer
    default: Any
    description: str


GLOBAL, GENERATED, CUSTOM = "GLOBAL", "GENERATED", "CUSTOM"
OWNERSHIP_ENFORCED, OWNERSHIP_PREFERRED, OWNERSHIP_OBJECT_WRITER = (
    "BucketOwnerEnforced",
    "BucketOwnerPreferred",
    "ObjectWriter",
)
OBJECT_OWNERSHIPS = (OWNERSHIP_ENFORCED, OWNERSHIP_PREFERRED)
MAX_OUTPUT_NAME = 255

PROJECT_KEYS: dict[str, ConfigKey] = {
    key.name: key
    for key in (
        ConfigKey(
            "externalIdMode",
            "string",
            GLOBAL,
            "How Bitmovin picks the role's external ID: GLOBAL (one ID per Bitmovin organization), "
            "GENERATED (a random ID per output) or CUSTOM (the value of externalId).",
        ),
        ConfigKey(
            "externalId",
            "string",
            "",
            "The external ID to require with externalIdMode CUSTOM (2-1224 characters of [\\w+=,.@:/-]; "
            "a random UUID is recommended). Must stay empty with GLOBAL and GENERATED.",
        ),
        ConfigKey(
            "bucketName",
            "string",
            "",
            "Name of the bucket to create. Empty: bitmovin-analytics-<stack>-<account id> "
            "(S3 bucket names are global, hence the account id).",
        ),
        ConfigKey(
            "existingBucketName",
            "string",
            "",
            "Export into this existing bucket instead of creating one: no bucket resources are managed. "
            "Cannot be combined with bucketName, kmsKeyArn, retentionDays, objectOwnership or "
            "retainBucketOnDestroy.",
        ),
        ConfigKey(
            "roleName",
            "string",
            "",
            "Name of the IAM role Bitmovin assumes. Empty: bitmovin-analytics-export-<stack> "
            "(at most 64 characters; a short hash is added when the stack name must be shortened).",
        ),
        ConfigKey(
            "exportPrefix",
            "string",
            "",
            "Key prefix Bitmovin may write under, ending with '/' and without a leading '/', "
            "e.g. analytics/. Empty: the whole bucket.",
        ),
        ConfigKey(
            "objectOwnership",
            "string",
            OWNERSHIP_ENFORCED,
            "S3 Object Ownership of the created bucket: BucketOwnerEnforced (ACLs disabled) or "
            "BucketOwnerPreferred (use it only if exports fail with AccessControlListNotSupported).",
        ),
        ConfigKey(
            "kmsKeyArn",
            "string",
            "",
            "Encrypt the created bucket with this customer-managed KMS key (SSE-KMS, bucket key on) and let "
            "the role use it. Empty: SSE-S3 (AES256).",
        ),
        ConfigKey(
            "retentionDays",
            "integer",
            0,
            "Delete exports under the prefix this many days after they were written (also expires "
            "noncurrent versions and aborts stale multipart uploads). 0: keep forever.",
        ),
        ConfigKey(
            "retainBucketOnDestroy",
            "boolean",
            True,
            "Keep the bucket, its data and its security settings when the stack is destroyed "
            "(they are only removed from the stack's state).",
        ),
        ConfigKey(
            "outputName",
            "string",
            "",
            "Name of the Bitmovin Analytics output. Empty: <project>-<stack>.",
        ),
        ConfigKey(
            "bitmovinPrincipalArn",
            "string",
            BITMOVIN_PRINCIPAL,
            "The IAM user or role allowed to assume the role. Change it only for a partition other "
            "than aws (e.g. aws-cn), with the ARN Bitmovin gives you.",
        ),
    )
}
DEFAULTS: dict[str, Any] = {name: key.default for name, key in PROJECT_KEYS.items()}

REGION_KEY = "aws:region"
TENANT_ORG_ID_KEY = "bitmovin:tenantOrgId"
API_KEY_KEY = "bitmovin:apiKey"  # documented here only so that nothing here ever reads it

# Keys people may reach for that deliberately do not exist.
_REFUSED_KEYS = {
    "acl": "the output's ACL is always PRIVATE; PUBLIC_READ is not offered because the bucket blocks "
    "all public access",
    "aclPermission": "the output's ACL is always PRIVATE; PUBLIC_READ is not offered because the bucket "
    "blocks all public access",
    "apiKey": "the Bitmovin API key belongs to the provider namespace and must be a secret",
}
_BYO_CONFLICTS = ("bucketName", "kmsKeyArn", "retentionDays", "objectOwnership", "retainBucketOnDestroy")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_UUID_COMMAND = "\"$(python3 -c 'import uuid; print(uuid.uuid4())')\""


# ---------------------------------------------------------------------------------------------
# Result and errors


@dataclass(frozen=True)
class ExportSettings:
    """Validated settings of one stack; every default is already applied.

    ``bucket_name`` is ``None`` when the name must be derived at deploy time from the stack and the
    AWS account id (see :func:`analytics_export.naming.default_bucket_name`), and always ``None``
    with ``existing_bucket_name``.
    """

    project: str
    stack: str
    region: str | None
    tenant_org_id: str | None
    external_id_mode: str
    external_id: str | None
    bucket_name: str | None
    existing_bucket_name: str | None
    role_name: str
    export_prefix: str
    object_ownership: str
    kms_key_arn: str | None
    retention_days: int | None
    retain_bucket_on_destroy: bool
    output_name: str
    bitmovin_principal_arn: str
    external_id_is_secret: bool = False

    @property
    def creates_bucket(self) -> bool:
        return self.existing_bucket_name is None


@dataclass(frozen=True)
class ConfigProblem:
    key: str  # as typed after `pulumi config set`, e.g. "exportPrefix" or "aws:region"
    reason: str
    fix: str  # a complete shell command

    def __str__(self) -> str:
        end = "" if self.reason.endswith((".", "?", "!")) else "."
        return f"{self.key}: {self.reason}{end} Fix: `{self.fix}`"


class ConfigError(ValueError):
    """Every bad stack config key at once, each with the command that fixes it."""

    def __init__(self, problems: list[ConfigProblem] | tuple[ConfigProblem, ...]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = [f"Invalid stack configuration ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))

    @property
    def keys(self) -> list[str]:
        return [problem.key for problem in self.problems]


def set_command(key: str, value: str) -> str:
    return f"pulumi config set {key} {shlex.quote(value)}"


def rm_command(key: str) -> str:
    return f"pulumi config rm {key}"


# ---------------------------------------------------------------------------------------------
# Suggestions for fix commands


def suggest_bucket_name(value: str, stack: str) -> str:
    candidate = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", value.lower())).strip("-")[:63].strip("-")
    if rules.bucket_name_problem(candidate) is None:
        return candidate
    return f"{naming.BUCKET_NAME_PREFIX}{naming.stack_slug(stack, 30)}-<your account id>"


def suggest_role_name(value: str, stack: str) -> str:
    candidate = re.sub(r"[^\w+=,.@-]", "-", value)[:64]
    return candidate if rules.role_name_problem(candidate) is None else naming.default_role_name(stack)


def suggest_prefix(value: str) -> str:
    candidate = re.sub(r"/{2,}", "/", value.strip().lstrip("/"))
    if candidate and not candidate.endswith("/"):
        candidate += "/"
    return candidate if rules.export_prefix_problem(candidate) is None else "analytics/"


def region_partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# ---------------------------------------------------------------------------------------------
# The pure function


def _split_key(key: str, project: str) -> tuple[str, str]:
    namespace, sep, name = key.partition(":")
    return (namespace, name) if sep else (project, key)


def settings_from_config(
    raw: Mapping[str, Any], *, project: str, stack: str, secret_keys: frozenset[str] = frozenset()
) -> ExportSettings:
    """Validate raw stack config values and apply every default.

    ``raw`` maps config keys to values as Pulumi hands them to the program (strings, or already
    typed values). Project keys may be given bare (``exportPrefix``) or namespaced
    (``<project>:exportPrefix``); ``aws:region`` and ``bitmovin:tenantOrgId`` are read too, any other
    namespace is ignored. Raises :class:`ConfigError` listing every problem.
    """
    values: dict[str, Any] = {}
    other: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    for key, value in raw.items():
        namespace, name = _split_key(key, project)
        if namespace != project:
            other[f"{namespace}:{name}"] = value
        elif name in PROJECT_KEYS:
            values[name] = value
        else:
            problems.append(_unknown_key_problem(name, value))

    def problem(key: str, reason: str, fix: str) -> None:
        problems.append(ConfigProblem(key, reason, fix))

    def text(key: str) -> str | None:
        value = values.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            problem(key, f"must be a string, got {value!r}", set_command(key, str(value)))
            return None
        return value

    def flag(key: str) -> bool:
        value = values.get(key)
        if value is None or value == "":
            return bool(DEFAULTS[key])
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        problem(key, f"must be true or false, got {value!r}", set_command(key, str(DEFAULTS[key]).lower()))
        return bool(DEFAULTS[key])

    def integer(key: str) -> int:
        value = values.get(key)
        if value is None or value == "":
            return int(DEFAULTS[key])
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        problem(key, f"must be a whole number of days, got {value!r}", set_command(key, "30"))
        return int(DEFAULTS[key])

    def is_set(key: str) -> bool:
        """Set to something other than its declared default (which the CLI injects)."""
        value = values.get(key)
        if value is None or value == "":
            return False
        default = DEFAULTS[key]
        return str(value).lower() != str(default).lower()

    # -- AWS region (provider key; only validated and used for cross-checks) ---------------------
    region = other.get(REGION_KEY) or None
    if region is not None and (not isinstance(region, str) or not _REGION.match(region)):
        problem(
            REGION_KEY,
            f"{region!r} is not an AWS region name such as eu-central-1",
            set_command(REGION_KEY, "eu-central-1"),
        )
        region = None

    # -- Bitmovin organization ---------------------------------------------------------------------
    tenant_org_id = other.get(TENANT_ORG_ID_KEY) or None
    if tenant_org_id is not None:
        reason = rules.tenant_org_id_problem(tenant_org_id)
        if reason:
            problem(
                TENANT_ORG_ID_KEY,
                f"{reason} (or remove it with `{rm_command(TENANT_ORG_ID_KEY)}` to use the API key's own "
                "organization)",
                set_command(TENANT_ORG_ID_KEY, "<your Bitmovin organization id>"),
            )
            tenant_org_id = None

    # -- External ID -------------------------------------------------------------------------------
    mode = text("externalIdMode") or GLOBAL
    reason = rules.enum_problem(mode, rules.EXTERNAL_ID_MODES)
    if reason:
        problem("externalIdMode", f"{reason} (case-sensitive)", set_command("externalIdMode", GLOBAL))
        mode = GLOBAL
    external_id = text("externalId")
    if mode == CUSTOM and external_id is None:
        problem(
            "externalId",
            "is required with externalIdMode CUSTOM (a random UUID is recommended; or let Bitmovin pick "
            f"one with `{set_command('externalIdMode', GLOBAL)}`)",
            f"pulumi config set externalId {_UUID_COMMAND}",
        )
    elif external_id is not None and mode != CUSTOM:
        problem(
            "externalId",
            f"is only used with externalIdMode CUSTOM; with {mode} Bitmovin generates the ID (to use your "
            f"own ID instead, run `{set_command('externalIdMode', CUSTOM)}`)",
            rm_command("externalId"),
        )
        external_id = None
    elif external_id is not None:
        reason = rules.external_id_problem(external_id)
        if reason:
            problem("externalId", reason, f"pulumi config set externalId {_UUID_COMMAND}")
            external_id = None

    # -- Bucket ------------------------------------------------------------------------------------
    existing_bucket = text("existingBucketName")
    if existing_bucket is not None:
        reason = rules.bucket_name_problem(existing_bucket)
        if reason:
            problem(
                "existingBucketName",
                reason,
                set_command("existingBucketName", suggest_bucket_name(existing_bucket, stack)),
            )
        for key in _BYO_CONFLICTS:
            if is_set(key):
                problem(
                    key,
                    "cannot be combined with existingBucketName: an existing bucket is not managed by this "
                    "stack, so its name, encryption, lifecycle, ownership and retention stay as they are",
                    rm_command(key),
                )
    bucket_name = text("bucketName")
    if bucket_name is not None and existing_bucket is None:
        reason = rules.bucket_name_problem(bucket_name)
        if reason:
            problem("bucketName", reason, set_command("bucketName", suggest_bucket_name(bucket_name, stack)))
    if existing_bucket is not None:
        bucket_name = None

    ownership = text("objectOwnership") or OWNERSHIP_ENFORCED
    if ownership == OWNERSHIP_OBJECT_WRITER:
        problem(
            "objectOwnership",
            "ObjectWriter is not offered: it re-enables ACLs and buys nothing here, because Bitmovin writes "
            "through a role in your own account, so you own every object anyway. Use BucketOwnerEnforced, "
            "or BucketOwnerPreferred if exports fail with AccessControlListNotSupported",
            set_command("objectOwnership", OWNERSHIP_ENFORCED),
        )
        ownership = OWNERSHIP_ENFORCED
    elif ownership not in OBJECT_OWNERSHIPS:
        reason = rules.enum_problem(ownership, OBJECT_OWNERSHIPS)
        problem(
            "objectOwnership",
            f"{reason} (case-sensitive)",
            set_command("objectOwnership", OWNERSHIP_ENFORCED),
        )
        ownership = OWNERSHIP_ENFORCED

    kms_key_arn = text("kmsKeyArn")
    if kms_key_arn is not None:
        reason = rules.kms_key_arn_problem(kms_key_arn)
        if reason:
            problem(
                "kmsKeyArn",
                f"{reason} (or remove it with `{rm_command('kmsKeyArn')}` to use SSE-S3)",
                set_command("kmsKeyArn", "arn:aws:kms:<region>:<account id>:key/<key id>"),
            )
            kms_key_arn = None
        elif region is not None and kms_key_arn.split(":")[3] != region:
            problem(
                "kmsKeyArn",
                f"the key is in {kms_key_arn.split(':')[3]} but the bucket is created in {region} "
                "(aws:region); S3 can only use a KMS key from the bucket's region",
                set_command("kmsKeyArn", f"arn:aws:kms:{region}:<account id>:key/<key id>"),
            )
            kms_key_arn = None

    retention = integer("retentionDays")
    if retention < 0:
        problem(
            "retentionDays",
            f"must be a positive number of days, or 0 to keep exports forever, got {retention}",
            set_command("retentionDays", str(abs(retention))),
        )
        retention = 0
    retain = flag("retainBucketOnDestroy")

    # -- Role, prefix, output ------------------------------------------------------------------------
    role_name = text("roleName")
    if role_name is not None:
        reason = rules.role_name_problem(role_name)
        if reason:
            problem("roleName", reason, set_command("roleName", suggest_role_name(role_name, stack)))
    role_name = role_name or naming.default_role_name(stack)

    prefix_value = values.get("exportPrefix")
    prefix = "" if prefix_value is None else prefix_value
    reason = rules.export_prefix_problem(prefix)
    if reason:
        problem("exportPrefix", reason, set_command("exportPrefix", suggest_prefix(str(prefix))))
        prefix = ""

    output_name = text("outputName")
    if output_name is not None:
        reason = rules.text_problem(output_name, MAX_OUTPUT_NAME)
        if reason:
            problem("outputName", reason, set_command("outputName", output_name[:MAX_OUTPUT_NAME]))
    output_name = output_name or naming.default_output_name(project, stack)

    principal = text("bitmovinPrincipalArn") or BITMOVIN_PRINCIPAL
    reason = principal_arn_problem(principal)
    if reason:
        problem(
            "bitmovinPrincipalArn",
            f"{reason}; leave it unset for Bitmovin's own user",
            set_command("bitmovinPrincipalArn", BITMOVIN_PRINCIPAL),
        )
        principal = BITMOVIN_PRINCIPAL
    elif region is not None and arn_partition(principal) != region_partition(region):
        problem(
            "bitmovinPrincipalArn",
            f"{principal} is in partition {arn_partition(principal)} but aws:region {region} is in "
            f"{region_partition(region)}; a role can only trust a principal of its own partition. Ask "
            f"Bitmovin for the principal it uses in {region_partition(region)}",
            set_command(
                "bitmovinPrincipalArn",
                f"arn:{region_partition(region)}:iam::<account id>:user/<name>",
            ),
        )

    if problems:
        raise ConfigError(problems)
    return ExportSettings(
        project=project,
        stack=stack,
        region=region,
        tenant_org_id=tenant_org_id,
        external_id_mode=mode,
        external_id=external_id,
        bucket_name=bucket_name,
        existing_bucket_name=existing_bucket,
        role_name=role_name,
        export_prefix=prefix,
        object_ownership=ownership,
        kms_key_arn=kms_key_arn,
        retention_days=retention or None,
        retain_bucket_on_destroy=retain,
        output_name=output_name,
        bitmovin_principal_arn=principal,
        external_id_is_secret=external_id is not None
        and bool({"externalId", f"{project}:externalId"} & secret_keys),
    )


def _unknown_key_problem(name: str, value: Any) -> ConfigProblem:
    if name in _REFUSED_KEYS:
        return ConfigProblem(
            name, f"is not a setting of this project: {_REFUSED_KEYS[name]}", rm_command(name)
        )
    close = difflib.get_close_matches(name, PROJECT_KEYS, n=1, cutoff=0.6) or [
        known for known in PROJECT_KEYS if known.lower() == name.lower()
    ]
    if close:
        return ConfigProblem(
            name,
            f"is not a setting of this project; did you mean {close[0]}?",
            f"{rm_command(name)} && {set_command(close[0], str(value))}",
        )
    return ConfigProblem(
        name,
        f"is not a setting of this project (known: {', '.join(PROJECT_KEYS)})",
        rm_command(name),
    )


# ---------------------------------------------------------------------------------------------
# Reading from the running stack


def raw_config(project: str) -> tuple[dict[str, Any], frozenset[str]]:
    """The raw values :func:`settings_from_config` needs, and which of them are secrets.

    Reads every key of the project namespace (so that typos are reported), ``aws:region`` and
    ``bitmovin:tenantOrgId``; never ``bitmovin:apiKey``.
    """
    import pulumi.runtime
    from pulumi.runtime import config as runtime_config

    keys = {f"{project}:{name}" for name in PROJECT_KEYS} | {REGION_KEY, TENANT_ORG_ID_KEY}
    configured = set(runtime_config.CONFIG.get()) | set(pulumi.runtime.get_config_env())
    keys |= {key for key in configured if key.startswith(f"{project}:")}
    keys.discard(API_KEY_KEY)
    raw = {key: value for key in sorted(keys) if (value := pulumi.runtime.get_config(key)) is not None}
    env_secrets = set(pulumi.runtime.get_config_secret_keys_env())
    secrets = frozenset(key for key in raw if pulumi.runtime.is_config_secret(key) or key in env_secrets)
    return raw, secrets


def load_settings() -> ExportSettings:
    """Settings of the running stack; raises :class:`ConfigError` before any resource exists."""
    import pulumi

    project, stack = pulumi.get_project(), pulumi.get_stack()
    raw, secrets = raw_config(project)
    return settings_from_config(raw, project=project, stack=stack, secret_keys=secrets)
