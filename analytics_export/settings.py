"""Stack configuration -> :class:`ExportSettings`, or a :class:`ConfigError` naming every bad key.

Every key is declared once, in :data:`analytics_export.config_keys.KEYS` (its rule, the keys it
reads and the keys it conflicts with; its type and default come from ``Pulumi.yaml``).
:func:`settings_from_config` is pure (a mapping of raw config values in, the component's frozen
arguments out) so every rule is unit-tested without Pulumi; it runs the rules in table order and
handles what no single key owns: unknown keys, typos, secret values. :func:`load_settings` only
gathers the raw values from the running stack and refuses a plain-text API key.

The program never reads ``bitmovin:apiKey``: only the dynamic provider does, in its own process.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from analytics_export.args import BitmovinAnalyticsExportArgs
from analytics_export.config_keys import (
    KEYS,
    PROJECT_KEYS,
    REGION_CONFIG,
    SPEC_OF_KEY,
    KeySpec,
    RawConfig,
)
from analytics_export.config_problems import (
    ConfigProblem,
    rm_command,
    shown_value,
    without_secret_values,
)
from analytics_export.errors import ConfigError
from providers import provider_config
from providers import validation as rules
from providers.provider_config import API_KEY_CONFIG, TENANT_ORG_ID_CONFIG

# Keys of other namespaces that people set in the project namespace by mistake.
_PROVIDER_KEYS = (*provider_config.KNOWN_KEYS, REGION_CONFIG)

# Keys people may reach for that deliberately do not exist.
_PUBLIC_ACL = "the output's ACL is always PRIVATE; PUBLIC_READ is not offered because the bucket blocks all public access"
_REFUSED_KEYS = {"acl": _PUBLIC_ACL, "aclPermission": _PUBLIC_ACL}


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

    def __post_init__(self) -> None:
        """No second validation: :func:`settings_from_config`, the only builder, already applied every
        key's rule (the args' field rules included, with key names and fixes)."""


# ---------------------------------------------------------------------------------------------
# Plain-text API key: refused before anything is deployed
#
# Pulumi hands a dynamic provider the *whole* stack config and records it in the state as the
# inputs and outputs of the default ``pulumi:providers:pulumi-python`` provider resource; secret
# config values stay secrets there (ciphertext), plain ones are written in clear (see README, "Where
# the API key is stored"). So a ``bitmovin:apiKey`` set without ``--secret`` would sit in plain text
# in ``Pulumi.<stack>.yaml`` *and* in every checkpoint of the state. The program checks only whether
# the key is set and whether it is a secret; it never reads its value.

PLAINTEXT_API_KEY = ConfigProblem(
    API_KEY_CONFIG,
    "is set without --secret, so it is stored in plain text in Pulumi.<stack>.yaml and, as part of "
    "the config Pulumi records for the dynamic provider, in the stack's state. Store it encrypted "
    "(the command below re-saves the current value without showing it or putting it on a command "
    "line); if a `pulumi up` already ran with it, also rotate the key, because earlier checkpoints keep "
    "the plain value",
    f"pulumi config get {API_KEY_CONFIG} | {provider_config.set_secret_command(API_KEY_CONFIG)}",
)


def api_key_storage_problems(configured: bool, secret: bool) -> list[ConfigProblem]:
    """``configured``: ``bitmovin:apiKey`` is in the stack config; ``secret``: it is a secret there."""
    return [PLAINTEXT_API_KEY] if configured and not secret else []


def _running_stack_key_problems() -> list[ConfigProblem]:
    """The check for the running stack: looks at the key's presence and secrecy, never its value."""
    import pulumi.runtime
    from pulumi.runtime import config as runtime_config

    configured = (
        API_KEY_CONFIG in runtime_config.CONFIG.get() or API_KEY_CONFIG in pulumi.runtime.get_config_env()
    )
    secret = pulumi.runtime.is_config_secret(API_KEY_CONFIG) or API_KEY_CONFIG in set(
        pulumi.runtime.get_config_secret_keys_env()
    )
    return api_key_storage_problems(configured, secret)


# ---------------------------------------------------------------------------------------------
# Raw values


def _split_key(key: str, project: str) -> tuple[str, str]:
    namespace, sep, name = key.partition(":")
    return (namespace, name) if sep else (project, key)


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
    config = RawConfig(values, other, project, stack)
    config.problems.extend(unknown)
    chosen: dict[str, Any] = {}
    for spec in KEYS:
        read = {SPEC_OF_KEY[key].field: chosen[SPEC_OF_KEY[key].field] for key in spec.reads}
        chosen[spec.field] = spec.rule(config, spec.key, read)
        if spec.conflicts and config.has_text(spec.key):
            _report_conflicts(config, spec)
    if config.problems:
        problems = _removal_wins(config.problems)
        raise ConfigError(_without_secret_values(problems, raw, project, secret_keys))
    secret = chosen["external_id"] is not None and bool({"externalId", f"{project}:externalId"} & secret_keys)
    return ExportSettings(project=project, stack=stack, external_id_is_secret=secret, **chosen)


def _report_conflicts(raw: RawConfig, owner: KeySpec) -> None:
    """One problem per key that is set although ``owner`` (which is set) rules it out."""
    for key in owner.conflicts:
        if raw.is_set(key):
            raw.problem(key, f"cannot be combined with {owner.key}: {owner.why}", rm_command(key))


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
    (``pulumi config get`` piped into ``pulumi config set --secret``) and keeps it a secret."""
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
            provider_config.move_secret_command(name, close[0]),
        )
    if close:
        shown = shown_value(str(value))
        return ConfigProblem(
            name,
            f"is not a setting of this project; did you mean {close[0]}?",
            f"{rm_command(name)} && pulumi config set {close[0]} {shown}"
            if shown is not None
            else provider_config.move_command(name, close[0]),
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
    hidden = secret or provider_config.looks_secret(key) or target == API_KEY_CONFIG
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
            provider_config.move_secret_command(key, target),
        )
    if shown is None:
        return ConfigProblem(key, reason, provider_config.move_command(key, target))
    return ConfigProblem(key, reason, f"{rm_command(key)} && pulumi config set {target} {shown}")


def _valid_shown_value(target: str, value: Any) -> str | None:
    """``value`` as a fix for ``target`` may show it (shell-quoted), or None: not printable, too
    long, or not valid there (a non-canonical organization id is shown in its canonical form)."""
    text = str(value).strip() if value is not None else ""
    if target == TENANT_ORG_ID_CONFIG:
        canonical = rules.canonical_uuid(text)
        return (
            shown_value(canonical)
            if canonical and rules.stack_tenant_org_id_problem(canonical) is None
            else None
        )
    if target == REGION_CONFIG:
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

    keys = {f"{project}:{name}" for name in PROJECT_KEYS} | {REGION_CONFIG, TENANT_ORG_ID_CONFIG}
    configured = set(runtime_config.CONFIG.get()) | set(pulumi.runtime.get_config_env())
    keys |= {key for key in configured if key.startswith(f"{project}:")}
    unknown = {key for key in configured if provider_config.is_unknown_key(key)}
    keys.discard(API_KEY_CONFIG)
    raw = {key: value for key in sorted(keys) if (value := pulumi.runtime.get_config(key)) is not None}
    # A bitmovin: key nothing reads is reported (its value moved to the key meant); one that may hold
    # the API key (apikey, api_key...) is reported without its value ever being read.
    raw |= {
        key: provider_config.SECRET_MASK
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

    project, stack = pulumi.get_project(), pulumi.get_stack()
    raw, secrets = raw_config(project)
    storage = _running_stack_key_problems()
    try:
        settings = settings_from_config(raw, project=project, stack=stack, secret_keys=secrets)
    except ConfigError as error:
        raise ConfigError([*storage, *error.problems]) from None
    if storage:
        raise ConfigError(storage)
    return settings
