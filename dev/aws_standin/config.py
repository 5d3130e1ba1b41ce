"""The provider config the stand-in honours (``aws:*`` stack config, or an explicit provider's inputs).

Only local endpoints are served: every AWS call goes to the ``aws:endpoints`` URL of its service, and
that URL must be on this machine (moto), so the stand-in can never reach real AWS with real keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SERVICES = ("s3", "iam", "sts")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
# pulumi-aws v7 provider keys the local stacks set; anything else is refused (docs/aws-standin.md).
KNOWN_KEYS = frozenset(
    {
        "region",
        "accessKey",
        "secretKey",
        "endpoints",
        "skipCredentialsValidation",
        "skipRequestingAccountId",
        "skipMetadataApiCheck",
        "skipRegionValidation",
        "s3UsePathStyle",
        "version",
    }
)


class ConfigError(ValueError):
    """A provider config the stand-in cannot honour; the message names the key and the fix."""


@dataclass(frozen=True)
class ProviderConfig:
    region: str
    endpoints: Mapping[str, str]
    access_key: str | None
    secret_key: str | None
    path_style: bool

    def __repr__(self) -> str:  # the secret key stays out of logs
        return f"ProviderConfig({self.region!r}, {dict(self.endpoints)!r})"


def parse(values: Mapping[str, Any]) -> ProviderConfig:
    """Validate the provider inputs (keys without the ``aws:`` prefix; strings or typed values)."""
    unknown = sorted(set(values) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"aws:{unknown[0]} is not served by the aws stand-in (dev/aws_standin), which honours only "
            f"{', '.join('aws:' + key for key in sorted(KNOWN_KEYS - {'version'}))}: remove it with "
            f"`pulumi config rm aws:{unknown[0]}` or use the real pulumi-aws plugin"
        )
    region = values.get("region")
    if not isinstance(region, str) or not region:
        raise ConfigError("aws:region is not set: `pulumi config set aws:region us-east-1`")
    endpoints = _endpoints(values.get("endpoints"))
    return ProviderConfig(
        region=region,
        endpoints=endpoints,
        access_key=_optional_str(values, "accessKey"),
        secret_key=_optional_str(values, "secretKey"),
        path_style=_bool(values.get("s3UsePathStyle")),
    )


def _endpoints(raw: Any) -> dict[str, str]:
    entries = json.loads(raw) if isinstance(raw, str) else raw
    fix = (
        "the aws stand-in serves only a local AWS (moto): set aws:endpoints with s3, iam and sts on "
        "127.0.0.1, as Pulumi.local.yaml does"
    )
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ConfigError(f"aws:endpoints is missing or not a list of objects; {fix}")
    merged: dict[str, str] = {}
    for entry in entries:
        for service, url in entry.items():
            if url:
                merged[service] = url
    missing = [service for service in SERVICES if service not in merged]
    if missing:
        raise ConfigError(f"aws:endpoints has no {missing[0]} endpoint; {fix}")
    extra = sorted(set(merged) - set(SERVICES))
    if extra:
        raise ConfigError(f"aws:endpoints names {extra[0]}, which the aws stand-in does not serve; {fix}")
    for service, url in merged.items():
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in LOCAL_HOSTS:
            raise ConfigError(f"aws:endpoints {service} is {url!r}, not a URL on this machine; {fix}")
    return merged


def _optional_str(values: Mapping[str, Any], key: str) -> str | None:
    value = values.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"aws:{key} must be a string")
    return value or None


def _bool(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    if value in ("true", "false"):
        return value == "true"
    raise ConfigError(f"expected true or false, got {value!r}")
