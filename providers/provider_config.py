"""Where the provider's settings come from: stack config given to ``configure()``, then environment.

The API key is read here, in the provider host, after the provider was unpickled; it never travels
through the program, the resource inputs or the serialized provider.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from providers.api_url import DEFAULT_API_URL, api_url_problem, display_url
from providers.http_policy import HttpPolicy

API_KEY_CONFIG = "bitmovin:apiKey"
API_KEY_ENV = "BITMOVIN_API_KEY"
MISSING_API_KEY = (
    "No Bitmovin API key is configured. Set it as a secret for this stack with "
    "`pulumi config set --secret bitmovin:apiKey <your key>`, or export BITMOVIN_API_KEY."
)

# (config key, environment variable, HttpPolicy field, minimum, maximum)
_NUMERIC_SETTINGS: tuple[tuple[str, str, str, float, float], ...] = (
    ("bitmovin:connectTimeoutSeconds", "BITMOVIN_CONNECT_TIMEOUT_SECONDS", "connect_timeout", 0.1, 300),
    ("bitmovin:readTimeoutSeconds", "BITMOVIN_READ_TIMEOUT_SECONDS", "read_timeout", 0.1, 600),
    ("bitmovin:retryBudgetSeconds", "BITMOVIN_RETRY_BUDGET_SECONDS", "retry_budget_seconds", 0, 3600),
    ("bitmovin:maxRetries", "BITMOVIN_MAX_RETRIES", "max_retries", 0, 20),
    ("bitmovin:createSettleSeconds", "BITMOVIN_CREATE_SETTLE_SECONDS", "create_settle_seconds", 0, 600),
)


@dataclass(frozen=True)
class ProviderConfig:
    """Resolved settings; ``problems`` lists what stops the provider from calling Bitmovin, a
    missing or unusable API key included."""

    api_key: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    http: HttpPolicy = field(default_factory=HttpPolicy)
    problems: tuple[str, ...] = ()


def resolve(config_get: Callable[[str], Any], environ: Mapping[str, str] | None = None) -> ProviderConfig:
    """Stack config wins over the environment; bad numbers are reported, not silently ignored."""
    env = os.environ if environ is None else environ

    def lookup(key: str, env_name: str) -> Any:
        value = config_get(key)
        return value if value not in (None, "") else env.get(env_name) or None

    problems: list[str] = []
    overrides: dict[str, Any] = {}
    for key, env_name, attr, low, high in _NUMERIC_SETTINGS:
        raw = lookup(key, env_name)
        if raw is None:
            continue
        try:
            number = float(raw)
        except (TypeError, ValueError):
            number = None
        if number is None or not low <= number <= high:
            problems.append(
                f"{key} (or {env_name}) must be a number from {low:g} to {high:g}, got {raw!r}: "
                f"fix it with `pulumi config set {key} <value>`"
            )
            continue
        overrides[attr] = int(number) if attr == "max_retries" else number
    api_url = str(lookup("bitmovin:apiUrl", "BITMOVIN_API_URL") or DEFAULT_API_URL)
    url_problem = api_url_problem(api_url)
    if url_problem is not None:
        problems.append(
            f"bitmovin:apiUrl (or BITMOVIN_API_URL) {url_problem}, got {display_url(api_url)}: fix it with "
            f"`pulumi config set bitmovin:apiUrl {DEFAULT_API_URL}` (or remove it with "
            "`pulumi config rm bitmovin:apiUrl`)"
        )
    api_key = lookup(API_KEY_CONFIG, API_KEY_ENV)
    if api_key is None:
        problems.append(MISSING_API_KEY)
    else:
        api_key = str(api_key).strip()  # a trailing newline or CR from a pasted or `cat`-ed key
        if not api_key:
            problems.append(MISSING_API_KEY)
        elif not (api_key.isascii() and api_key.isprintable()) or any(c.isspace() for c in api_key):
            problems.append(
                f"{API_KEY_CONFIG} (or {API_KEY_ENV}) contains spaces, control or non-ASCII characters; "
                f"set it again with `pulumi config set --secret {API_KEY_CONFIG} <your key>`"
            )
            api_key = None
    return ProviderConfig(
        api_key=api_key or None,
        api_url=api_url,
        http=dataclasses.replace(HttpPolicy(), **overrides),
        problems=tuple(problems),
    )


# Set to "true" by the preview workflow only (.github/workflows/preview.yml), whose pull-request jobs get
# no Bitmovin key: a preview calls only check and diff, which send nothing to Bitmovin.
PREVIEW_WITHOUT_KEY_ENV = "BITMOVIN_PREVIEW_WITHOUT_KEY"


def check_problems(config: ProviderConfig, environ: Mapping[str, str] | None = None) -> list[str]:
    """The configuration problems ``check`` reports: all of ``config.problems``, except a missing API
    key when ``BITMOVIN_PREVIEW_WITHOUT_KEY=true``. Only a missing key is tolerated (an unusable key or
    URL still fails), and only in ``check``: every operation that calls Bitmovin (create, read,
    delete) refuses without a key whatever this variable says (``BitmovinProviderBase._client``)."""
    env = os.environ if environ is None else environ
    problems = list(config.problems)
    if env.get(PREVIEW_WITHOUT_KEY_ENV) == "true":
        problems = [problem for problem in problems if problem != MISSING_API_KEY]
    return problems
