"""Bitmovin Analytics export into the customer's S3 bucket through a role Bitmovin assumes.

``config_keys`` (one spec per stack config key), ``args``, ``settings``, ``policies`` and ``naming`` are
pure (no Pulumi resources) and cheap to import; the component (which imports ``pulumi_aws``) is
loaded on first use of its names. Every exception for bad input is in ``errors``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analytics_export.args import BitmovinAnalyticsExportArgs
from analytics_export.config_problems import ConfigProblem
from analytics_export.errors import AnalyticsExportError, ArgsError, ConfigError
from analytics_export.policies import BITMOVIN_PRINCIPAL, tls_only_bucket_policy, trust_policy, write_policy
from analytics_export.settings import ExportSettings, settings_from_config

if TYPE_CHECKING:
    from analytics_export.component import BitmovinAnalyticsExport

__all__ = [
    "BITMOVIN_PRINCIPAL",
    "AnalyticsExportError",
    "ArgsError",
    "BitmovinAnalyticsExport",
    "BitmovinAnalyticsExportArgs",
    "ConfigError",
    "ConfigProblem",
    "ExportSettings",
    "settings_from_config",
    "tls_only_bucket_policy",
    "trust_policy",
    "write_policy",
]


def __getattr__(name: str) -> Any:
    if name == "BitmovinAnalyticsExport":
        from analytics_export import component

        return getattr(component, name)
    raise AttributeError(f"module 'analytics_export' has no attribute {name!r}")
