"""``BitmovinAnalyticsExportArgs``: the component's inputs, validated when they are built.

Pure (no ``pulumi_aws``), so the stack settings can *be* these arguments
(:class:`analytics_export.settings.ExportSettings` derives from them). Which field has which rule,
and which fields cannot be combined, comes from the config keys' specs
(:data:`analytics_export.config_keys.KEYS`); the rules themselves from :mod:`providers.validation`,
the one module the stack config, the component and the provider share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

import pulumi

from analytics_export.config_keys import KEYS, SPEC_OF_KEY
from analytics_export.errors import ArgsError
from analytics_export.policies import BITMOVIN_PRINCIPAL
from providers import validation as rules
from providers.validation import ExternalIdConflict, ExternalIdMode, ObjectOwnership

RESERVED_CUSTOM_DATA_KEY = "managedBy"


@dataclass(frozen=True, kw_only=True)
class BitmovinAnalyticsExportArgs:
    """Inputs of :class:`analytics_export.component.BitmovinAnalyticsExport`; every field has a secure default.

    Fields that shape policies (prefix, KMS key, principal, role name) are plain values so that they
    are validated here, when the program runs, and not halfway through a deployment.
    """

    role_name: str | None = None
    """IAM role name; default ``bitmovin-analytics-export-<stack>``."""
    bucket_name: pulumi.Input[str] | None = None
    """Bucket to create; default ``bitmovin-analytics-<stack>-<account id>``."""
    existing_bucket_name: pulumi.Input[str] | None = None
    """Export into this bucket instead; then no bucket resources are created."""
    existing_output_id: str | None = None
    """Use this existing Bitmovin output instead of creating one; the stack never changes or deletes it.

    Its bucket and role come from the output (``role_name`` only when the API does not return the
    output's ``roleArn``), so the fields its key's spec ``conflicts`` with must stay unset."""
    adopt_output_id: str | None = None
    """Take over this existing Bitmovin output on the first ``up``; from then on the stack owns it."""
    export_prefix: str = ""
    external_id_mode: ExternalIdMode = rules.DEFAULT_EXTERNAL_ID_MODE
    external_id: pulumi.Input[str] | None = None
    """Only with ``external_id_mode="CUSTOM"``."""
    external_id_is_secret: bool = False
    """Keep ``external_id`` secret in state (it came from a secret config value)."""
    tenant_org_id: pulumi.Input[str] | None = None
    object_ownership: ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED
    kms_key_arn: str | None = None
    retention_days: int | None = None
    retain_bucket_on_destroy: bool = True
    output_name: pulumi.Input[str] | None = None
    output_description: pulumi.Input[str] | None = None
    custom_data: Mapping[str, str] = field(default_factory=dict)
    """Merged into the output's custom data after ``managedBy``/``project``/``stack``."""
    bitmovin_principal_arn: str = BITMOVIN_PRINCIPAL
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if problems := self.problems():
            raise ArgsError(problems)

    @property
    def creates_bucket(self) -> bool:
        return self.existing_bucket_name is None

    def problems(self) -> list[str]:
        """Every bad plain value; ``Output`` values are checked by AWS and the provider instead."""
        found = [
            f"{spec.field} {problem}"
            for spec in KEYS
            if spec.check is not None
            and spec.field in _DEFAULTS
            and _is_plain(value := getattr(self, spec.field), optional=_DEFAULTS[spec.field] is None)
            and (problem := spec.check(value))
        ]
        return found + self._free_text_problems() + self._combination_problems()

    def _free_text_problems(self) -> list[str]:
        """The free text sent to Bitmovin that has no config key: the output's description, custom data."""
        found = []
        description = self.output_description
        if _is_plain(description, optional=True) and (
            problem := rules.text_problem(description, rules.MAX_OUTPUT_DESCRIPTION_LENGTH)
        ):
            found.append(f"output_description {problem}")
        if problem := rules.custom_data_problem(self.custom_data):
            found.append(f"custom_data {problem}")
        return found

    def _combination_problems(self) -> list[str]:
        found: list[str] = []
        conflict = rules.external_id_conflict(self.external_id_mode, self.external_id is not None)
        if conflict == ExternalIdConflict.REQUIRED:
            found.append("external_id is required with external_id_mode CUSTOM")
        elif conflict == ExternalIdConflict.NOT_ALLOWED:
            found.append("external_id can only be set with external_id_mode CUSTOM")
        for spec in KEYS:
            if spec.conflicts and self._is_set(spec.field):
                fields_set = [name for key in spec.conflicts if self._is_set(name := SPEC_OF_KEY[key].field)]
                if fields_set:
                    found.append(f"{spec.field} cannot be combined with {', '.join(fields_set)}")
        if RESERVED_CUSTOM_DATA_KEY in self.custom_data:
            found.append(f"custom_data key '{RESERVED_CUSTOM_DATA_KEY}' is reserved")
        return found

    def _is_set(self, name: str) -> bool:
        """The field differs from its default: what an existing bucket or output must not meet."""
        value, default = getattr(self, name), _DEFAULTS[name]
        return value is not None if default is None else value != default


def _is_plain(value: Any, *, optional: bool) -> bool:
    """A value known now: not an ``Output`` (checked later), and not an optional field left unset."""
    return not isinstance(value, pulumi.Output) and not (optional and value is None)


# Every field with a plain default: None marks an optional field (unset is fine, never checked).
_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(BitmovinAnalyticsExportArgs) if f.default is not MISSING
}
