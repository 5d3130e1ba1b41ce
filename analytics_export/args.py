"""``BitmovinAnalyticsExportArgs``: the component's inputs, validated when they are built.

Pure (no ``pulumi_aws``), so the stack settings can *be* these arguments
(:class:`analytics_export.settings.ExportSettings` derives from them) and every rule comes from
:mod:`providers.validation`, the one module the stack config, the component and the provider share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from analytics_export.policies import BITMOVIN_PRINCIPAL
from providers import validation as rules

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
    output's ``roleArn``), so the fields of ``EXISTING_OUTPUT_CONFLICTS`` must stay unset."""
    adopt_output_id: str | None = None
    """Take over this existing Bitmovin output on the first up; the stack then owns it (contrast existing_output_id)."""
    export_prefix: str = ""
    external_id_mode: str = rules.DEFAULT_EXTERNAL_ID_MODE
    external_id: pulumi.Input[str] | None = None
    """Only with ``external_id_mode="CUSTOM"``."""
    external_id_is_secret: bool = False
    """Keep ``external_id`` secret in state (it came from a secret config value)."""
    tenant_org_id: pulumi.Input[str] | None = None
    object_ownership: str = rules.OWNERSHIP_ENFORCED
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
        problems = self.problems()
        if problems:
            raise ValueError("Invalid BitmovinAnalyticsExportArgs: " + "; ".join(problems))

    @property
    def creates_bucket(self) -> bool:
        return self.existing_bucket_name is None

    def problems(self) -> list[str]:
        """Every bad plain value; ``Output`` values are checked by AWS and the provider instead."""
        found = [
            f"{name} {problem}"
            for name, rule in _VALUE_RULES
            if _is_plain(value := getattr(self, name), optional=name in _OPTIONAL_FIELDS)
            and (problem := rule(value))
        ]
        found += self._combination_problems()
        return found

    def _combination_problems(self) -> list[str]:
        found: list[str] = []
        conflict = rules.external_id_conflict(self.external_id_mode, self.external_id is not None)
        if conflict == "required":
            found.append("external_id is required with external_id_mode CUSTOM")
        elif conflict == "not-allowed":
            found.append("external_id can only be set with external_id_mode CUSTOM")
        fields_set = self._fields_set()
        for owner, conflicts_of in (
            ("existing_bucket_name", rules.existing_bucket_conflicts),
            ("existing_output_id", rules.existing_output_conflicts),
        ):
            if getattr(self, owner) is not None and (conflicts := conflicts_of(fields_set)):
                found.append(f"{owner} cannot be combined with {', '.join(conflicts)}")
        if RESERVED_CUSTOM_DATA_KEY in self.custom_data:
            found.append(f"custom_data key '{RESERVED_CUSTOM_DATA_KEY}' is reserved")
        return found

    def _fields_set(self) -> dict[str, bool]:
        """Which fields differ from their defaults: what an existing bucket or output must not meet."""
        return {
            "existing_bucket_name": self.existing_bucket_name is not None,
            "bucket_name": self.bucket_name is not None,
            "external_id_mode": self.external_id_mode != rules.DEFAULT_EXTERNAL_ID_MODE,
            "external_id": self.external_id is not None,
            "output_name": self.output_name is not None,
            "kms_key_arn": self.kms_key_arn is not None,
            "retention_days": self.retention_days is not None,
            "object_ownership": self.object_ownership != rules.OWNERSHIP_ENFORCED,
            "retain_bucket_on_destroy": not self.retain_bucket_on_destroy,
        }


def _is_plain(value: Any, *, optional: bool) -> bool:
    """A value known now: not an ``Output`` (checked later), and not an optional field left unset."""
    return not isinstance(value, pulumi.Output) and not (optional and value is None)


def _object_ownership_problem(value: Any) -> str | None:
    return rules.enum_problem(value, rules.OBJECT_OWNERSHIPS)


def _external_id_mode_problem(value: Any) -> str | None:
    return rules.enum_problem(value, rules.EXTERNAL_ID_MODES)


def _tenant_org_id_problem(value: Any) -> str | None:
    return rules.tenant_org_id_problem(value) if value else None  # "" means the key's own organization


_OPTIONAL_FIELDS = frozenset(
    {
        "role_name",
        "bucket_name",
        "existing_bucket_name",
        "existing_output_id",
        "external_id",
        "tenant_org_id",
        "kms_key_arn",
        "retention_days",
    }
)
# Field -> rule for every plain value (Outputs are skipped); the order is the report order.
_VALUE_RULES: tuple[tuple[str, Callable[[Any], str | None]], ...] = (
    ("role_name", rules.role_name_problem),
    ("bucket_name", rules.new_bucket_name_problem),
    ("existing_bucket_name", rules.bucket_name_problem),
    ("existing_output_id", rules.output_id_problem),
    ("export_prefix", rules.export_prefix_problem),
    ("external_id_mode", _external_id_mode_problem),
    ("external_id", rules.external_id_problem),
    ("tenant_org_id", _tenant_org_id_problem),
    ("object_ownership", _object_ownership_problem),
    ("kms_key_arn", rules.kms_key_arn_problem),
    ("retention_days", rules.retention_days_problem),
    ("bitmovin_principal_arn", rules.principal_arn_problem),
)
