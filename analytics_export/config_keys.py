"""The stack config keys: one :class:`KeySpec` per key, the only place a key is declared.

A spec holds the key as typed after ``pulumi config set``, the field of the component's arguments
it sets, its rule, the keys its rule reads and the keys it cannot be combined with; its type,
default and description come from the ``config:`` block of ``Pulumi.yaml``, which the Pulumi CLI
reads too. Everything else is derived from :data:`KEYS`: the order and rules of
:func:`analytics_export.settings.settings_from_config`, the field rules and conflicts of
:class:`analytics_export.args.BitmovinAnalyticsExportArgs`, the key types of the bad-input catalogue.

Each rule reads its raw value as ``Pulumi.yaml`` types it (:meth:`RawConfig.typed`), reports
problems with the ``pulumi config`` command that fixes them, and returns the validated field. The
value rules themselves live in :mod:`providers.validation`, shared with the component and the
dynamic provider's ``check``. This module imports neither ``args`` nor ``settings``: both import it.

Optional keys are declared in ``Pulumi.yaml`` with ``default: ""`` (or ``0``), because the Pulumi CLI
treats a declared project key without a default as required. The CLI also injects those defaults
into the program's config, so an empty string means "not set" and a value equal to its declared
default never counts as "set" when looking for conflicting keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from analytics_export import naming
from analytics_export.config_problems import (
    ConfigProblem,
    rm_command,
    set_command,
    suggest_bucket_name,
    suggest_prefix,
    suggest_role_name,
)
from analytics_export.errors import ProjectFileError
from analytics_export.policies import BITMOVIN_PRINCIPAL
from providers import validation as rules
from providers.provider_config import TENANT_ORG_ID_CONFIG
from providers.validation import ExternalIdConflict, ExternalIdMode, ObjectOwnership

# ---------------------------------------------------------------------------------------------
# Pulumi.yaml: the keys' types, defaults and descriptions

PULUMI_YAML = Path(__file__).resolve().parents[1] / "Pulumi.yaml"
_PYTHON_TYPES = {"string": str, "boolean": bool, "integer": int}


@dataclass(frozen=True)
class ConfigKey:
    """A project config key as declared in ``Pulumi.yaml``."""

    name: str
    type: str  # string | boolean | integer
    default: Any
    description: str


@cache
def project_keys(path: Path = PULUMI_YAML) -> dict[str, ConfigKey]:
    """Every declared project key, in declaration order; refuses a block the program cannot use."""
    declared = yaml.safe_load(path.read_text(encoding="utf-8")).get("config") or {}
    keys: dict[str, ConfigKey] = {}
    for name, schema in declared.items():
        kind = schema.get("type")
        if kind not in _PYTHON_TYPES or "default" not in schema:
            raise ProjectFileError(
                f"{path}: config key {name!r} needs a type (string, boolean or integer) and a default "
                "(the CLI treats a declared key without a default as required)"
            )
        if type(schema["default"]) is not _PYTHON_TYPES[kind]:
            raise ProjectFileError(f"{path}: the default of config key {name!r} is not of type {kind}")
        keys[name] = ConfigKey(name, kind, schema["default"], str(schema.get("description", "")).strip())
    return keys


PROJECT_KEYS: dict[str, ConfigKey] = project_keys()
DEFAULTS: dict[str, Any] = {name: key.default for name, key in PROJECT_KEYS.items()}
REGION_CONFIG = "aws:region"  # a provider key the program reads: the bucket's region

# ---------------------------------------------------------------------------------------------
# Raw values, typed on demand


class RawConfig:
    """One stack's raw config values, read as typed values; every bad value becomes a problem."""

    def __init__(self, values: dict[str, Any], other: dict[str, Any], project: str, stack: str) -> None:
        self.values = values  # project keys, bare names
        self.other = other  # other namespaces, full keys (aws:region, bitmovin:tenantOrgId)
        self.project = project
        self.stack = stack
        self.problems: list[ConfigProblem] = []

    def problem(self, key: str, reason: str, fix: str) -> None:
        self.problems.append(ConfigProblem(key, reason, fix))

    def text(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.problem(key, f"must be a string, got {value!r}", set_command(key, str(value)))
            return None
        return value

    def has_text(self, key: str) -> bool:
        """A non-empty string is set (what :meth:`text` returns without a problem)."""
        value = self.values.get(key)
        return isinstance(value, str) and value != ""

    def flag(self, key: str) -> bool:
        value = self.values.get(key)
        if value is None or value == "":
            return bool(DEFAULTS[key])
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.problem(
            key, f"must be true or false, got {value!r}", set_command(key, str(DEFAULTS[key]).lower())
        )
        return bool(DEFAULTS[key])

    def integer(self, key: str) -> int:
        value = self.values.get(key)
        if value is None or value == "":
            return int(DEFAULTS[key])
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,20}", value.strip()):
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
            # int() refuses thousands of digits; a number this long is out of every range anyway.
            self.problem(
                key,
                f"is a {len(value.strip())}-digit number; retention is at most {rules.MAX_RETENTION_DAYS} "
                "days (0 keeps exports forever)",
                set_command(key, "0"),
            )
            return int(DEFAULTS[key])
        self.problem(key, f"must be a whole number of days, got {value!r}", set_command(key, "30"))
        return int(DEFAULTS[key])

    def typed(self, key: str) -> Any:
        """The value of project key ``key`` read as ``Pulumi.yaml`` types it (None: a string not set)."""
        reader = {"string": self.text, "boolean": self.flag, "integer": self.integer}[PROJECT_KEYS[key].type]
        return reader(key)

    def is_set(self, key: str) -> bool:
        """Set to something other than its declared default (which the CLI injects)."""
        value = self.values.get(key)
        if value is None or value == "":
            return False
        return str(value).lower() != str(DEFAULTS[key]).lower()


# ---------------------------------------------------------------------------------------------
# One rule per key: ``rule(raw, key, read)`` reports the problems of ``key`` and returns the value
# of its field. ``read`` holds the validated fields of the keys its spec ``reads``, and only those.

Read = Mapping[str, Any]
Rule = Callable[[RawConfig, str, Read], Any]
_UUID_COMMAND = "\"$(python3 -c 'import uuid; print(uuid.uuid4())')\""


def _region_rule(raw: RawConfig, key: str, read: Read) -> str | None:
    """aws:region is a provider key: only validated and used for cross-checks."""
    region = raw.other.get(key) or None
    if region is not None and (reason := rules.region_problem(region)):
        stripped = region.strip() if isinstance(region, str) else ""
        fix = stripped if rules.region_problem(stripped) is None else "eu-central-1"
        raw.problem(key, reason, set_command(key, fix))
        return None
    return region


def _tenant_org_id_rule(raw: RawConfig, key: str, read: Read) -> str | None:
    tenant_org_id = raw.other.get(key) or None
    reason = rules.stack_tenant_org_id_problem(tenant_org_id) if tenant_org_id is not None else None
    if not reason:
        return tenant_org_id
    canonical = rules.canonical_uuid(tenant_org_id)
    raw.problem(
        key,
        f"{reason} (or remove it with `{rm_command(key)}` to use the API key's own organization)",
        set_command(
            key,
            canonical
            if rules.stack_tenant_org_id_problem(canonical) is None
            else "<your Bitmovin organization id>",
        ),
    )
    return None


def _output_id_rule(raw: RawConfig, key: str, read: Read) -> str | None:
    """The id of an output that exists already (to reference or to adopt)."""
    output_id = raw.typed(key)
    if output_id is not None and (reason := rules.output_id_problem(output_id)):
        raw.problem(
            key,
            f"{reason} (the id shown for the output in the Bitmovin dashboard or API)",
            set_command(key, rules.canonical_uuid(output_id) or "<output id>"),
        )
        return None
    return output_id


def _external_id_mode_rule(raw: RawConfig, key: str, read: Read) -> ExternalIdMode:
    mode = raw.typed(key) or rules.DEFAULT_EXTERNAL_ID_MODE
    reason = rules.enum_problem(mode, ExternalIdMode)
    if reason:
        raw.problem(key, f"{reason} (case-sensitive)", set_command(key, ExternalIdMode.GLOBAL))
        return rules.DEFAULT_EXTERNAL_ID_MODE
    return ExternalIdMode(mode)


def _external_id_rule(raw: RawConfig, key: str, read: Read) -> str | None:
    mode, external_id = read["external_id_mode"], raw.typed(key)
    conflict = rules.external_id_conflict(mode, external_id is not None)
    if conflict == ExternalIdConflict.REQUIRED:
        raw.problem(
            key,
            "is required with externalIdMode CUSTOM (a random UUID is recommended; or let Bitmovin pick "
            f"one with `{set_command('externalIdMode', ExternalIdMode.GLOBAL)}`)",
            f"pulumi config set {key} {_UUID_COMMAND}",
        )
    elif conflict == ExternalIdConflict.NOT_ALLOWED:
        raw.problem(
            key,
            f"is only used with externalIdMode CUSTOM; with {mode} Bitmovin generates the ID (to use your "
            f"own ID instead, run `{set_command('externalIdMode', ExternalIdMode.CUSTOM)}`)",
            rm_command(key),
        )
        return None
    elif external_id is not None and (reason := rules.external_id_problem(external_id)):
        raw.problem(key, reason, f"pulumi config set {key} {_UUID_COMMAND}")
        return None
    return external_id


def _existing_bucket_rule(raw: RawConfig, key: str, read: Read) -> str | None:
    existing = raw.typed(key)
    if existing is not None and (reason := rules.bucket_name_problem(existing)):
        raw.problem(key, reason, set_command(key, suggest_bucket_name(existing, raw.stack)))
    return existing


def _bucket_name_rule(raw: RawConfig, key: str, read: Read) -> str | None:
    bucket_name = raw.typed(key)
    if read["existing_bucket_name"] is not None:
        return None
    if bucket_name is not None and (reason := rules.new_bucket_name_problem(bucket_name)):
        raw.problem(key, reason, set_command(key, suggest_bucket_name(bucket_name, raw.stack)))
    return bucket_name


def _object_ownership_rule(raw: RawConfig, key: str, read: Read) -> ObjectOwnership:
    ownership = raw.typed(key) or ObjectOwnership.BUCKET_OWNER_ENFORCED
    fix = set_command(key, ObjectOwnership.BUCKET_OWNER_ENFORCED)
    if ownership == rules.OBJECT_WRITER:
        raw.problem(
            key,
            "ObjectWriter is not offered: it re-enables ACLs and buys nothing here, because Bitmovin writes "
            "through a role in your own account, so you own every object anyway. Use BucketOwnerEnforced, "
            "or BucketOwnerPreferred if exports fail with AccessControlListNotSupported",
            fix,
        )
        return ObjectOwnership.BUCKET_OWNER_ENFORCED
    if reason := rules.enum_problem(ownership, ObjectOwnership):
        raw.problem(key, f"{reason} (case-sensitive)", fix)
        return ObjectOwnership.BUCKET_OWNER_ENFORCED
    return ObjectOwnership(ownership)


def _kms_key_arn_rule(raw: RawConfig, key: str, read: Read) -> str | None:
    kms_key_arn, region = raw.typed(key), read["region"]
    if kms_key_arn is not None and (reason := rules.kms_key_arn_problem(kms_key_arn)):
        raw.problem(
            key,
            f"{reason} (or remove it with `{rm_command(key)}` to use SSE-S3)",
            set_command(key, "arn:aws:kms:<region>:<account id>:key/<key id>"),
        )
        return None
    if (
        kms_key_arn is not None
        and region is not None
        and (reason := rules.kms_key_location_problem(kms_key_arn, region))
    ):
        raw.problem(
            key,
            f"{reason} ({REGION_CONFIG} {region})",
            set_command(key, f"arn:{rules.region_partition(region)}:kms:{region}:<account id>:key/<key id>"),
        )
        return None
    return kms_key_arn


def _retention_days_rule(raw: RawConfig, key: str, read: Read) -> int | None:
    retention = raw.typed(key)
    if retention < 0:
        raw.problem(
            key,
            f"must be a positive number of days, or 0 to keep exports forever, got {retention}",
            set_command(key, str(min(abs(retention), rules.MAX_RETENTION_DAYS))),
        )
        return None
    if retention and (reason := rules.retention_days_problem(retention)):
        raw.problem(key, f"{reason}; 0 keeps exports forever", set_command(key, "0"))
        return None
    return retention or None


def _declared_type_rule(raw: RawConfig, key: str, read: Read) -> Any:
    """Nothing to check beyond the type ``Pulumi.yaml`` declares."""
    return raw.typed(key)


def _role_name_rule(raw: RawConfig, key: str, read: Read) -> str | None:
    role_name = raw.typed(key)
    if role_name is not None and (reason := rules.role_name_problem(role_name)):
        raw.problem(key, reason, set_command(key, suggest_role_name(role_name, raw.stack)))
    if role_name is None and read["existing_output_id"] is not None:
        return None  # the existing output names its role
    return role_name or naming.default_role_name(raw.stack)


def _export_prefix_rule(raw: RawConfig, key: str, read: Read) -> str:
    value = raw.values.get(key)
    prefix = "" if value is None else value
    if reason := rules.export_prefix_problem(prefix):
        raw.problem(key, reason, set_command(key, suggest_prefix(str(prefix))))
        return ""
    return prefix


def _output_name_rule(raw: RawConfig, key: str, read: Read) -> str | None:
    name = raw.typed(key)
    default = naming.default_output_name(raw.project, raw.stack)
    if name is not None and (reason := rules.text_problem(name, rules.MAX_OUTPUT_NAME_LENGTH)):
        fix = rules.printable_text(name, rules.MAX_OUTPUT_NAME_LENGTH) if len(name) else None
        if len(name) > rules.MAX_OUTPUT_NAME_LENGTH:
            reason = f"{reason}; shorten it"
        raw.problem(key, f"{reason}, or use the default name {default}", set_command(key, fix or default))
    if name is None and read["existing_output_id"] is not None:
        return None  # the existing output keeps its own name
    return name or default


def _output_description_rule(raw: RawConfig, key: str, read: Read) -> str | None:
    """Empty: the component derives it from the bucket and prefix (``None`` reaches the args)."""
    text = raw.typed(key)
    if text and (reason := rules.text_problem(text, rules.MAX_OUTPUT_DESCRIPTION_LENGTH)):
        fix = rules.printable_text(text, rules.MAX_OUTPUT_DESCRIPTION_LENGTH)
        raw.problem(key, reason, set_command(key, fix) if fix else f"pulumi config rm {key}")
    return text or None


def _principal_rule(raw: RawConfig, key: str, read: Read) -> str:
    """A role can only trust a principal of its own partition, which the region decides."""
    principal, region = raw.typed(key) or BITMOVIN_PRINCIPAL, read["region"]
    own_user = f"arn:{rules.region_partition(region)}:iam::<account id>:user/<name>" if region else ""
    if reason := rules.principal_arn_problem(principal):
        fits = region is None or rules.arn_partition(BITMOVIN_PRINCIPAL) == rules.region_partition(region)
        raw.problem(
            key,
            f"{reason}; leave it unset for Bitmovin's own user",
            set_command(key, BITMOVIN_PRINCIPAL if fits else own_user),
        )
        return BITMOVIN_PRINCIPAL
    if region is not None and rules.arn_partition(principal) != rules.region_partition(region):
        wanted = rules.region_partition(region)
        raw.problem(
            key,
            f"{principal} is in partition {rules.arn_partition(principal)} but {REGION_CONFIG} {region} is in "
            f"{wanted}; a role can only trust a principal of its own partition. Ask "
            f"Bitmovin for the principal it uses in {wanted}",
            set_command(key, own_user),
        )
    return principal


def _tenant_org_id_field_problem(value: Any) -> str | None:
    return rules.tenant_org_id_problem(value) if value else None  # "" means the key's own organization


# ---------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class KeySpec:
    """Everything the program knows about one config key."""

    key: str  # as typed after `pulumi config set`
    field: str  # the field of ExportSettings (and, but for ``region``, of the component's args)
    rule: Rule  # the stack config rule: reports problems with their fixes, returns the field's value
    check: Callable[[Any], str | None] | None = None  # the args' rule for a plain value of the field
    reads: tuple[str, ...] = ()  # keys whose validated field ``rule`` reads (they come earlier)
    conflicts: tuple[str, ...] = ()  # keys that must stay unset while this one is set
    why: str = ""  # why, when ``conflicts`` is not empty

    @property
    def declared(self) -> ConfigKey | None:
        """Type, default and description from ``Pulumi.yaml``; None for a provider key."""
        return PROJECT_KEYS.get(self.key)


# In the order problems are reported. Every key declared in Pulumi.yaml has a spec here
# (tests/analytics_export/test_settings.py checks it), plus the two provider keys the program reads.
KEYS: tuple[KeySpec, ...] = (
    KeySpec(REGION_CONFIG, "region", _region_rule),
    KeySpec(TENANT_ORG_ID_CONFIG, "tenant_org_id", _tenant_org_id_rule, _tenant_org_id_field_problem),
    KeySpec(
        "existingOutputId",
        "existing_output_id",
        _output_id_rule,
        rules.output_id_problem,
        conflicts=(
            "existingBucketName",
            "bucketName",
            "externalIdMode",
            "externalId",
            "outputName",
            "outputDescription",
            "kmsKeyArn",
            "retentionDays",
            "objectOwnership",
            "retainBucketOnDestroy",
        ),
        why="the existing output already fixes its bucket, external ID and name, and its bucket is not managed "
        "by this stack",
    ),
    KeySpec(
        "adoptOutputId",
        "adopt_output_id",
        _output_id_rule,
        rules.output_id_problem,
        conflicts=("existingOutputId",),
        why="existingOutputId only references an output (the stack never changes or deletes it), while "
        "adoptOutputId takes one over (the stack owns and deletes it); keep the one you mean",
    ),
    KeySpec(
        "externalIdMode",
        "external_id_mode",
        _external_id_mode_rule,
        lambda v: rules.enum_problem(v, ExternalIdMode),
    ),
    KeySpec(
        "externalId", "external_id", _external_id_rule, rules.external_id_problem, reads=("externalIdMode",)
    ),
    KeySpec(
        "existingBucketName",
        "existing_bucket_name",
        _existing_bucket_rule,
        rules.bucket_name_problem,
        conflicts=("bucketName", "kmsKeyArn", "retentionDays", "objectOwnership", "retainBucketOnDestroy"),
        why="an existing bucket is not managed by this stack, so its name, encryption, lifecycle, ownership "
        "and retention stay as they are",
    ),
    KeySpec(
        "bucketName",
        "bucket_name",
        _bucket_name_rule,
        rules.new_bucket_name_problem,
        reads=("existingBucketName",),
    ),
    KeySpec(
        "objectOwnership",
        "object_ownership",
        _object_ownership_rule,
        lambda v: rules.enum_problem(v, ObjectOwnership),
    ),
    KeySpec("kmsKeyArn", "kms_key_arn", _kms_key_arn_rule, rules.kms_key_arn_problem, reads=(REGION_CONFIG,)),
    KeySpec("retentionDays", "retention_days", _retention_days_rule, rules.retention_days_problem),
    KeySpec("retainBucketOnDestroy", "retain_bucket_on_destroy", _declared_type_rule),
    KeySpec("roleName", "role_name", _role_name_rule, rules.role_name_problem, reads=("existingOutputId",)),
    KeySpec("exportPrefix", "export_prefix", _export_prefix_rule, rules.export_prefix_problem),
    KeySpec(
        "outputName",
        "output_name",
        _output_name_rule,
        lambda v: rules.text_problem(v, rules.MAX_OUTPUT_NAME_LENGTH),
        reads=("existingOutputId",),
    ),
    KeySpec(
        "outputDescription",
        "output_description",
        _output_description_rule,
        lambda v: rules.text_problem(v, rules.MAX_OUTPUT_DESCRIPTION_LENGTH),
    ),
    KeySpec(
        "bitmovinPrincipalArn",
        "bitmovin_principal_arn",
        _principal_rule,
        rules.principal_arn_problem,
        reads=(REGION_CONFIG,),
    ),
)
SPEC_OF_KEY: dict[str, KeySpec] = {spec.key: spec for spec in KEYS}
KEY_RULES: tuple[tuple[str, Rule], ...] = tuple((spec.key, spec.rule) for spec in KEYS)


def order_problems(keys: tuple[KeySpec, ...]) -> list[str]:
    """Why ``keys`` cannot run in their order: a rule reads a key that is unknown or comes later."""
    seen: set[str] = set()
    found = []
    for spec in keys:
        found += [
            f"{spec.key} reads {read}, which comes later or not at all"
            for read in spec.reads
            if read not in seen
        ]
        found += [
            f"{spec.key} conflicts with the unknown key {other}"
            for other in spec.conflicts
            if other not in {s.key for s in keys}
        ]
        seen.add(spec.key)
    return found


if _order := order_problems(KEYS):
    raise AssertionError("analytics_export.config_keys.KEYS: " + "; ".join(_order))
