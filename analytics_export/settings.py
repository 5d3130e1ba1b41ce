"""Stack configuration -> :class:`ExportSettings`, or a :class:`ConfigError` naming every bad key.

The keys, their types and defaults are read from ``Pulumi.yaml`` (:mod:`analytics_export.config_schema`);
:data:`KEY_RULES` holds one small rule per key. :func:`settings_from_config` is pure (a mapping of
raw config values in, the component's frozen arguments out) so every rule is unit-tested without
Pulumi; :func:`load_settings` only gathers the raw values from the running stack. The value rules
themselves live in :mod:`providers.validation`, shared with the component and the dynamic
provider's ``check``; this module adds the key names and the `pulumi config` commands that fix them.

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from analytics_export import naming
from analytics_export.args import BitmovinAnalyticsExportArgs
from analytics_export.config_problems import (
    ConfigError,
    ConfigProblem,
    rm_command,
    set_command,
    shown_value,
    suggest_bucket_name,
    suggest_prefix,
    suggest_role_name,
    without_secret_values,
)
from analytics_export.config_schema import ConfigKey, project_keys
from analytics_export.policies import BITMOVIN_PRINCIPAL
from providers import provider_config
from providers import validation as rules

# ---------------------------------------------------------------------------------------------
# Keys

PROJECT_KEYS: dict[str, ConfigKey] = project_keys()
DEFAULTS: dict[str, Any] = {name: key.default for name, key in PROJECT_KEYS.items()}

REGION_KEY = "aws:region"
TENANT_ORG_ID_KEY = provider_config.TENANT_ORG_ID_CONFIG
API_KEY_KEY = provider_config.API_KEY_CONFIG  # documented here only so that nothing here ever reads it
# Keys of other namespaces that people set in the project namespace by mistake.
_PROVIDER_KEYS = (*provider_config.KNOWN_KEYS, "aws:region")

# Keys people may reach for that deliberately do not exist.
_REFUSED_KEYS = {
    "acl": "the output's ACL is always PRIVATE; PUBLIC_READ is not offered because the bucket blocks "
    "all public access",
    "aclPermission": "the output's ACL is always PRIVATE; PUBLIC_READ is not offered because the bucket "
    "blocks all public access",
}
# Stack config key of each field that cannot be combined with existingBucketName or existingOutputId.
_CONFIG_KEY_OF_FIELD = {
    "existing_bucket_name": "existingBucketName",
    "external_id_mode": "externalIdMode",
    "external_id": "externalId",
    "output_name": "outputName",
    "bucket_name": "bucketName",
    "kms_key_arn": "kmsKeyArn",
    "retention_days": "retentionDays",
    "object_ownership": "objectOwnership",
    "retain_bucket_on_destroy": "retainBucketOnDestroy",
}
_UUID_COMMAND = "\"$(python3 -c 'import uuid; print(uuid.uuid4())')\""


# ---------------------------------------------------------------------------------------------
# Result and errors


@dataclass(frozen=True, kw_only=True)
class ExportSettings(BitmovinAnalyticsExportArgs):
    """Validated settings of one stack: the component's arguments, plus where they came from.

    Every default is already applied. ``bucket_name`` is ``None`` when the name must be derived at
    deploy time from the stack and the AWS account id (see
    :func:`analytics_export.naming.default_bucket_name`), and always ``None`` with
    ``existing_bucket_name``.
    """

    project: str
    stack: str
    region: str | None = None


# ---------------------------------------------------------------------------------------------
# Raw values, typed on demand


def _split_key(key: str, project: str) -> tuple[str, str]:
    namespace, sep, name = key.partition(":")
    return (namespace, name) if sep else (project, key)


class _RawConfig:
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
                f"is a {len(value.strip())}-digit number; S3 lifecycle days are at most "
                f"{rules.MAX_RETENTION_DAYS} (0 keeps exports forever)",
                set_command(key, "0"),
            )
            return int(DEFAULTS[key])
        self.problem(key, f"must be a whole number of days, got {value!r}", set_command(key, "30"))
        return int(DEFAULTS[key])

    def is_set(self, key: str) -> bool:
        """Set to something other than its declared default (which the CLI injects)."""
        value = self.values.get(key)
        if value is None or value == "":
            return False
        return str(value).lower() != str(DEFAULTS[key]).lower()


# ---------------------------------------------------------------------------------------------
# One rule per key. Each reads its raw value, reports problems, and stores the validated field in
# ``chosen`` (the keyword arguments of ExportSettings). Rules run in table order, so a rule may read
# a field an earlier rule chose (e.g. kmsKeyArn reads the region).

Chosen = dict[str, Any]


def _region_rule(raw: _RawConfig, chosen: Chosen) -> None:
    """aws:region is a provider key: only validated and used for cross-checks."""
    region = raw.other.get(REGION_KEY) or None
    if region is not None and (reason := rules.region_problem(region)):
        stripped = region.strip() if isinstance(region, str) else ""
        raw.problem(
            REGION_KEY,
            reason,
            set_command(REGION_KEY, stripped if rules.region_problem(stripped) is None else "eu-central-1"),
        )
        region = None
    chosen["region"] = region


def _tenant_org_id_rule(raw: _RawConfig, chosen: Chosen) -> None:
    tenant_org_id = raw.other.get(TENANT_ORG_ID_KEY) or None
    reason = rules.stack_tenant_org_id_problem(tenant_org_id) if tenant_org_id is not None else None
    if reason:
        canonical = rules.canonical_uuid(tenant_org_id)
        raw.problem(
            TENANT_ORG_ID_KEY,
            f"{reason} (or remove it with `{rm_command(TENANT_ORG_ID_KEY)}` to use the API key's own "
            "organization)",
            set_command(
                TENANT_ORG_ID_KEY,
                canonical
                if rules.stack_tenant_org_id_problem(canonical) is None
                else "<your Bitmovin organization id>",
            ),
        )
        tenant_org_id = None
    chosen["tenant_org_id"] = tenant_org_id


def _report_conflicts(
    raw: _RawConfig, conflicts_of: Callable[[Mapping[str, bool]], list[str]], owner_key: str, why: str
) -> None:
    """One problem per key that is set although ``owner_key`` rules it out."""
    set_fields = {field: raw.is_set(key) for field, key in _CONFIG_KEY_OF_FIELD.items()}
    for field in conflicts_of(set_fields):
        key = _CONFIG_KEY_OF_FIELD[field]
        raw.problem(key, f"cannot be combined with {owner_key}: {why}", rm_command(key))


def _existing_output_rule(raw: _RawConfig, chosen: Chosen) -> None:
    """An existing output fixes its bucket, external ID and name: nothing may contradict them."""
    output_id = raw.text("existingOutputId")
    chosen["existing_output_id"] = output_id
    if output_id is None:
        return
    reason = rules.output_id_problem(output_id)
    if reason:
        raw.problem(
            "existingOutputId",
            f"{reason} (the id shown for the output in the Bitmovin dashboard or API)",
            set_command("existingOutputId", rules.canonical_uuid(output_id) or "<output id>"),
        )
        chosen["existing_output_id"] = None
    _report_conflicts(
        raw,
        rules.existing_output_conflicts,
        "existingOutputId",
        "the existing output already fixes its bucket, external ID and name, and its bucket is not managed "
        "by this stack",
    )


def _external_id_mode_rule(raw: _RawConfig, chosen: Chosen) -> None:
    mode = raw.text("externalIdMode") or rules.DEFAULT_EXTERNAL_ID_MODE
    reason = rules.enum_problem(mode, rules.EXTERNAL_ID_MODES)
    if reason:
        raw.problem(
            "externalIdMode", f"{reason} (case-sensitive)", set_command("externalIdMode", rules.GLOBAL)
        )
        mode = rules.DEFAULT_EXTERNAL_ID_MODE
    chosen["external_id_mode"] = mode


def _external_id_rule(raw: _RawConfig, chosen: Chosen) -> None:
    mode, external_id = chosen["external_id_mode"], raw.text("externalId")
    conflict = rules.external_id_conflict(mode, external_id is not None)
    if conflict == "required":
        raw.problem(
            "externalId",
            "is required with externalIdMode CUSTOM (a random UUID is recommended; or let Bitmovin pick "
            f"one with `{set_command('externalIdMode', rules.GLOBAL)}`)",
            f"pulumi config set externalId {_UUID_COMMAND}",
        )
    elif conflict == "not-allowed":
        raw.problem(
            "externalId",
            f"is only used with externalIdMode CUSTOM; with {mode} Bitmovin generates the ID (to use your "
            f"own ID instead, run `{set_command('externalIdMode', rules.CUSTOM)}`)",
            rm_command("externalId"),
        )
        external_id = None
    elif external_id is not None and (reason := rules.external_id_problem(external_id)):
        raw.problem("externalId", reason, f"pulumi config set externalId {_UUID_COMMAND}")
        external_id = None
    chosen["external_id"] = external_id


def _existing_bucket_rule(raw: _RawConfig, chosen: Chosen) -> None:
    """An existing bucket is not managed here, so nothing that describes a managed bucket may be set."""
    existing = raw.text("existingBucketName")
    chosen["existing_bucket_name"] = existing
    if existing is None:
        return
    reason = rules.bucket_name_problem(existing)
    if reason:
        raw.problem(
            "existingBucketName",
            reason,
            set_command("existingBucketName", suggest_bucket_name(existing, raw.stack)),
        )
    _report_conflicts(
        raw,
        rules.existing_bucket_conflicts,
        "existingBucketName",
        "an existing bucket is not managed by this stack, so its name, encryption, lifecycle, ownership "
        "and retention stay as they are",
    )


def _bucket_name_rule(raw: _RawConfig, chosen: Chosen) -> None:
    bucket_name = raw.text("bucketName")
    if chosen["existing_bucket_name"] is not None:
        bucket_name = None
    elif bucket_name is not None and (reason := rules.new_bucket_name_problem(bucket_name)):
        raw.problem(
            "bucketName", reason, set_command("bucketName", suggest_bucket_name(bucket_name, raw.stack))
        )
    chosen["bucket_name"] = bucket_name


def _object_ownership_rule(raw: _RawConfig, chosen: Chosen) -> None:
    ownership = raw.text("objectOwnership") or rules.OWNERSHIP_ENFORCED
    fix = set_command("objectOwnership", rules.OWNERSHIP_ENFORCED)
    if ownership == rules.OWNERSHIP_OBJECT_WRITER:
        raw.problem(
            "objectOwnership",
            "ObjectWriter is not offered: it re-enables ACLs and buys nothing here, because Bitmovin writes "
            "through a role in your own account, so you own every object anyway. Use BucketOwnerEnforced, "
            "or BucketOwnerPreferred if exports fail with AccessControlListNotSupported",
            fix,
        )
        ownership = rules.OWNERSHIP_ENFORCED
    elif reason := rules.enum_problem(ownership, rules.OBJECT_OWNERSHIPS):
        raw.problem("objectOwnership", f"{reason} (case-sensitive)", fix)
        ownership = rules.OWNERSHIP_ENFORCED
    chosen["object_ownership"] = ownership


def _kms_key_arn_rule(raw: _RawConfig, chosen: Chosen) -> None:
    kms_key_arn, region = raw.text("kmsKeyArn"), chosen["region"]
    if kms_key_arn is not None and (reason := rules.kms_key_arn_problem(kms_key_arn)):
        raw.problem(
            "kmsKeyArn",
            f"{reason} (or remove it with `{rm_command('kmsKeyArn')}` to use SSE-S3)",
            set_command("kmsKeyArn", "arn:aws:kms:<region>:<account id>:key/<key id>"),
        )
        kms_key_arn = None
    elif (
        kms_key_arn is not None
        and region is not None
        and (reason := rules.kms_key_location_problem(kms_key_arn, region))
    ):
        raw.problem(
            "kmsKeyArn",
            f"{reason} (aws:region {region})",
            set_command(
                "kmsKeyArn", f"arn:{rules.region_partition(region)}:kms:{region}:<account id>:key/<key id>"
            ),
        )
        kms_key_arn = None
    chosen["kms_key_arn"] = kms_key_arn


def _retention_days_rule(raw: _RawConfig, chosen: Chosen) -> None:
    retention = raw.integer("retentionDays")
    if retention < 0:
        raw.problem(
            "retentionDays",
            f"must be a positive number of days, or 0 to keep exports forever, got {retention}",
            set_command("retentionDays", str(min(abs(retention), rules.MAX_RETENTION_DAYS))),
        )
        retention = 0
    elif retention and (reason := rules.retention_days_problem(retention)):
        raw.problem("retentionDays", f"{reason}; 0 keeps exports forever", set_command("retentionDays", "0"))
        retention = 0
    chosen["retention_days"] = retention or None


def _retain_bucket_rule(raw: _RawConfig, chosen: Chosen) -> None:
    chosen["retain_bucket_on_destroy"] = raw.flag("retainBucketOnDestroy")


def _role_name_rule(raw: _RawConfig, chosen: Chosen) -> None:
    role_name = raw.text("roleName")
    if role_name is not None and (reason := rules.role_name_problem(role_name)):
        raw.problem("roleName", reason, set_command("roleName", suggest_role_name(role_name, raw.stack)))
    if role_name is None and chosen["existing_output_id"] is not None:
        chosen["role_name"] = None  # the existing output names its role
        return
    chosen["role_name"] = role_name or naming.default_role_name(raw.stack)


def _export_prefix_rule(raw: _RawConfig, chosen: Chosen) -> None:
    value = raw.values.get("exportPrefix")
    prefix = "" if value is None else value
    reason = rules.export_prefix_problem(prefix)
    if reason:
        raw.problem("exportPrefix", reason, set_command("exportPrefix", suggest_prefix(str(prefix))))
        prefix = ""
    chosen["export_prefix"] = prefix


def _output_name_rule(raw: _RawConfig, chosen: Chosen) -> None:
    name = raw.text("outputName")
    limit = rules.MAX_OUTPUT_NAME_LENGTH
    if name is not None and (reason := rules.text_problem(name, limit)):
        default = naming.default_output_name(raw.project, raw.stack)
        raw.problem(
            "outputName",
            f"{reason}; shorten it, or use the default name {default}",
            set_command("outputName", default),
        )
    if name is None and chosen["existing_output_id"] is not None:
        chosen["output_name"] = None  # the existing output keeps its own name
        return
    chosen["output_name"] = name or naming.default_output_name(raw.project, raw.stack)


def _principal_rule(raw: _RawConfig, chosen: Chosen) -> None:
    """A role can only trust a principal of its own partition, which the region decides."""
    principal, region = raw.text("bitmovinPrincipalArn") or BITMOVIN_PRINCIPAL, chosen["region"]
    reason = rules.principal_arn_problem(principal)
    if reason:
        fits = region is None or rules.arn_partition(BITMOVIN_PRINCIPAL) == rules.region_partition(region)
        raw.problem(
            "bitmovinPrincipalArn",
            f"{reason}; leave it unset for Bitmovin's own user",
            set_command("bitmovinPrincipalArn", BITMOVIN_PRINCIPAL)
            if fits
            else set_command(
                "bitmovinPrincipalArn", f"arn:{rules.region_partition(region)}:iam::<account id>:user/<name>"
            ),
        )
        principal = BITMOVIN_PRINCIPAL
    elif region is not None and rules.arn_partition(principal) != rules.region_partition(region):
        wanted = rules.region_partition(region)
        raw.problem(
            "bitmovinPrincipalArn",
            f"{principal} is in partition {rules.arn_partition(principal)} but aws:region {region} is in "
            f"{wanted}; a role can only trust a principal of its own partition. Ask "
            f"Bitmovin for the principal it uses in {wanted}",
            set_command("bitmovinPrincipalArn", f"arn:{wanted}:iam::<account id>:user/<name>"),
        )
    chosen["bitmovin_principal_arn"] = principal


# (config key, rule), in the order problems are reported. Every key declared in Pulumi.yaml has a
# rule here (tests/analytics_export/test_settings.py checks it), plus the two provider keys the program reads.
KEY_RULES: tuple[tuple[str, Callable[[_RawConfig, Chosen], None]], ...] = (
    (REGION_KEY, _region_rule),
    (TENANT_ORG_ID_KEY, _tenant_org_id_rule),
    ("existingOutputId", _existing_output_rule),
    ("externalIdMode", _external_id_mode_rule),
    ("externalId", _external_id_rule),
    ("existingBucketName", _existing_bucket_rule),
    ("bucketName", _bucket_name_rule),
    ("objectOwnership", _object_ownership_rule),
    ("kmsKeyArn", _kms_key_arn_rule),
    ("retentionDays", _retention_days_rule),
    ("retainBucketOnDestroy", _retain_bucket_rule),
    ("roleName", _role_name_rule),
    ("exportPrefix", _export_prefix_rule),
    ("outputName", _output_name_rule),
    ("bitmovinPrincipalArn", _principal_rule),
)


# ---------------------------------------------------------------------------------------------
# The pure function


def settings_from_config(
    raw: Mapping[str, Any], *, project: str, stack: str, secret_keys: frozenset[str] = frozenset()
) -> ExportSettings:
    """Validate raw stack config values and apply every default.

    ``raw`` maps config keys to values as Pulumi hands them to the program (strings, or already
    typed values). Project keys may be given bare (``exportPrefix``) or namespaced
    (``<project>:exportPrefix``); ``aws:region`` and ``bitmovin:tenantOrgId`` are read too, and any
    ``bitmovin:`` key the provider does not read is a problem (the namespace is this project's);
    other namespaces are ignored. Raises :class:`ConfigError` listing every problem.
    """
    values: dict[str, Any] = {}
    other: dict[str, Any] = {}
    unknown: list[ConfigProblem] = []
    for key, value in raw.items():
        namespace, name = _split_key(key, project)
        if provider_config.is_unknown_key(f"{namespace}:{name}"):
            full = f"{namespace}:{name}"
            unknown.append(
                _unknown_provider_key_problem(full, full, value, _is_secret(key, project, secret_keys))
            )
        elif namespace != project:
            other[f"{namespace}:{name}"] = value
        elif name in PROJECT_KEYS:
            values[name] = value
        else:
            unknown.append(_unknown_key_problem(name, value, secret=_is_secret(key, project, secret_keys)))
    config = _RawConfig(values, other, project, stack)
    config.problems.extend(unknown)
    chosen: Chosen = {}
    for _key, rule in KEY_RULES:
        rule(config, chosen)
    if config.problems:
        problems = _removal_wins(config.problems)
        raise ConfigError(_without_secret_values(problems, raw, project, secret_keys))
    secret = chosen["external_id"] is not None and bool({"externalId", f"{project}:externalId"} & secret_keys)
    return ExportSettings(project=project, stack=stack, external_id_is_secret=secret, **chosen)


def _removal_wins(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """A key that must go (it conflicts with another key) gets no new value suggested: every fix of
    its other problems becomes the removal, so that no suggested command sets a value that another
    rule refuses (e.g. ``retentionDays -1`` with ``existingOutputId``)."""
    removals = {p.key: p.fix for p in problems if p.fix == rm_command(p.key)}
    return [
        replace(p, fix=removals[p.key]) if p.key in removals and p.fix.startswith("pulumi config set ") else p
        for p in problems
    ]


def _unknown_key_problem(name: str, value: Any, *, secret: bool = False) -> ConfigProblem:
    """A key this project does not know. For a secret, the fix moves the value without showing it
    (``pulumi config get`` inside ``$(...)``) and keeps it a secret."""
    if name in _REFUSED_KEYS:
        return ConfigProblem(
            name, f"is not a setting of this project: {_REFUSED_KEYS[name]}", rm_command(name)
        )
    provider_key = _provider_key_spelled(name)
    if provider_key is not None:
        return _unknown_provider_key_problem(name, provider_key, value, secret)
    close = difflib.get_close_matches(name, PROJECT_KEYS, n=1, cutoff=0.6) or [
        known for known in PROJECT_KEYS if known.lower() == name.lower()
    ]
    if close and secret:
        return ConfigProblem(
            name,
            f"is not a setting of this project; did you mean {close[0]}? (its value is a secret and "
            "stays one)",
            f'pulumi config set --secret {close[0]} "$(pulumi config get {shlex.quote(name)})" && '
            f"{rm_command(name)}",
        )
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


def _provider_key_spelled(name: str) -> str | None:
    """The provider key (``bitmovin:tenantOrgId``, ``aws:region``) a project-namespace key spells,
    up to case, ``_`` and ``-``; a close project key wins over a close provider key."""
    form = provider_config.key_form(name)
    for key in _PROVIDER_KEYS:
        if provider_config.key_form(key.partition(":")[2]) == form:
            return key
    return None


def _unknown_provider_key_problem(key: str, target_of: str, value: Any, secret: bool) -> ConfigProblem:
    """``key`` is set, but nothing reads it: it is a ``bitmovin:`` key nothing reads (``target_of``
    is the key itself) or a provider key set in the project namespace (``target_of`` is that key).
    The fix moves the value, shown only if it is not secret, printable and valid where it goes."""
    target = provider_config.closest_known_key(target_of) if target_of.startswith("bitmovin:") else target_of
    hidden = secret or provider_config.looks_secret(key) or target == API_KEY_KEY
    shown = None if hidden or target is None else _valid_shown_value(target, value)
    if target_of == key:
        reason, fix = provider_config.unknown_key_problem(key, shown, secret=secret)
        return ConfigProblem(key, reason, fix)
    reason = (
        f"is not a setting of this project: it belongs to the provider namespace; did you mean `{target}`?"
    )
    if hidden:
        return ConfigProblem(
            key,
            f"{reason} (its value is not shown, and must be a secret)",
            f"{rm_command(key)} && pulumi config set --secret {target} "
            f"{shlex.quote(provider_config.SECRET_PLACEHOLDER)}",
        )
    return ConfigProblem(
        key, reason, f"{rm_command(key)} && pulumi config set {target} {shown or shlex.quote('<value>')}"
    )


def _valid_shown_value(target: str, value: Any) -> str | None:
    """``value`` as a fix for ``target`` may show it (shell-quoted), or None: not printable, too
    long, or not valid there (a non-canonical organization id is shown in its canonical form)."""
    text = str(value).strip() if value is not None else ""
    if target == TENANT_ORG_ID_KEY:
        canonical = rules.canonical_uuid(text)
        return (
            shown_value(canonical)
            if canonical and rules.stack_tenant_org_id_problem(canonical) is None
            else None
        )
    if target == REGION_KEY:
        return shown_value(text) if rules.region_problem(text) is None else None
    if not text or provider_config.value_problem(target, text) is not None:
        return None
    return shown_value(text)


def _is_secret(key: str, project: str, secret_keys: frozenset[str]) -> bool:
    namespace, name = _split_key(key, project)
    return bool({key, f"{namespace}:{name}"} & secret_keys) or (namespace == project and name in secret_keys)


def _without_secret_values(
    problems: list[ConfigProblem], raw: Mapping[str, Any], project: str, secret_keys: frozenset[str]
) -> list[ConfigProblem]:
    """The problems with every value of a secret key (as typed after ``pulumi config set``) masked."""
    secrets = {
        (name if namespace == project else f"{namespace}:{name}"): str(value)
        for key, value in raw.items()
        if _is_secret(key, project, secret_keys) and value not in (None, "")
        for namespace, name in [_split_key(key, project)]
    }
    return without_secret_values(problems, secrets)


# ---------------------------------------------------------------------------------------------
# Reading from the running stack


def raw_config(project: str) -> tuple[dict[str, Any], frozenset[str]]:
    """The raw values :func:`settings_from_config` needs, and which of them are secrets.

    Reads every key of the project namespace (so that typos are reported), ``aws:region``,
    ``bitmovin:tenantOrgId`` and every ``bitmovin:`` key the provider does not read (typos too);
    never ``bitmovin:apiKey``, nor a key that looks like it.
    """
    import pulumi.runtime
    from pulumi.runtime import config as runtime_config

    keys = {f"{project}:{name}" for name in PROJECT_KEYS} | {REGION_KEY, TENANT_ORG_ID_KEY}
    configured = set(runtime_config.CONFIG.get()) | set(pulumi.runtime.get_config_env())
    keys |= {key for key in configured if key.startswith(f"{project}:")}
    unknown = {key for key in configured if provider_config.is_unknown_key(key)}
    keys.discard(API_KEY_KEY)
    raw = {key: value for key in sorted(keys) if (value := pulumi.runtime.get_config(key)) is not None}
    # A bitmovin: key nothing reads is reported (its value moved to the key meant); one that may hold
    # the API key (apikey, api_key...) is reported without its value ever being read.
    raw |= {
        key: provider_config.SECRET_PLACEHOLDER
        if provider_config.looks_secret(key)
        else pulumi.runtime.get_config(key)
        for key in sorted(unknown)
    }
    env_secrets = set(pulumi.runtime.get_config_secret_keys_env())
    secrets = frozenset(key for key in raw if pulumi.runtime.is_config_secret(key) or key in env_secrets)
    return raw, secrets


def load_settings() -> ExportSettings:
    """Settings of the running stack; raises :class:`ConfigError` before any resource exists."""
    import pulumi

    from analytics_export.key_storage import running_stack_problems

    project, stack = pulumi.get_project(), pulumi.get_stack()
    raw, secrets = raw_config(project)
    storage = running_stack_problems()
    try:
        settings = settings_from_config(raw, project=project, stack=stack, secret_keys=secrets)
    except ConfigError as error:
        raise ConfigError([*storage, *error.problems]) from None
    if storage:
        raise ConfigError(storage)
    return settings
