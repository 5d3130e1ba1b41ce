"""A dynamic provider configured the way the Pulumi engine configures it."""

from __future__ import annotations

from pulumi.dynamic import Config, ConfigureRequest

from providers.analytics_output import AnalyticsS3RoleBasedOutputProvider

PROJECT = "bitmovin-analytics-export"


def configured_provider(
    api_url: str | None, api_key: str | None, **settings: str
) -> AnalyticsS3RoleBasedOutputProvider:
    """A provider after ``configure()`` with this stack config.

    ``settings`` are ``bitmovin:`` config keys without the prefix (``maxRetries="0"``); a ``None`` URL
    or key is left unset, as in a stack that never set it.
    """
    config = {f"bitmovin:{name}": value for name, value in settings.items()}
    if api_url is not None:
        config["bitmovin:apiUrl"] = api_url
    if api_key is not None:
        config["bitmovin:apiKey"] = api_key
    provider = AnalyticsS3RoleBasedOutputProvider()
    provider.configure(ConfigureRequest(Config(config, PROJECT)))
    return provider
