"""boto3 clients of the local AWS the provider config names (moto), made once per service."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from dev.aws_standin.config import ProviderConfig


def partition_of(region: str) -> str:
    """The AWS partition of a region (getPartition, ARNs)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class Aws:
    """The clients of one configured provider."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.partition = partition_of(config.region)
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            style = "path" if self.config.path_style else "auto"
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.config.endpoints[service],
                region_name=self.config.region,
                # moto accepts any key; without one in the config there is none to find (the engine
                # gets no AWS_* variables in the tests), so placeholders stand in, as pulumilocal's do.
                aws_access_key_id=self.config.access_key or "test",
                aws_secret_access_key=self.config.secret_key or "test",
                config=Config(
                    retries={"mode": "standard", "total_max_attempts": 2}, s3={"addressing_style": style}
                ),
            )
        return self._clients[service]

    @property
    def s3(self) -> Any:
        return self.client("s3")

    @property
    def iam(self) -> Any:
        return self.client("iam")

    @property
    def sts(self) -> Any:
        return self.client("sts")


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ClientError, or ""."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
