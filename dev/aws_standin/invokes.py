"""The three functions the program invokes, as pulumi-aws v7 names them and their results."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dev.aws_standin.aws import Aws

REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "eu-central-1": "Europe (Frankfurt)"}


class InvokeError(ValueError):
    """An invoke or argument the stand-in does not serve."""


def _caller_identity(aws: Aws, args: Mapping[str, Any]) -> dict[str, Any]:
    _only(args, ())
    identity = aws.sts.get_caller_identity()
    return {
        "accountId": identity["Account"],
        "arn": identity["Arn"],
        "userId": identity["UserId"],
        "id": identity["Account"],
    }


def _partition(aws: Aws, args: Mapping[str, Any]) -> dict[str, Any]:
    _only(args, ())
    china = aws.partition == "aws-cn"
    return {
        "partition": aws.partition,
        "dnsSuffix": "amazonaws.com.cn" if china else "amazonaws.com",
        "reverseDnsPrefix": "cn.com.amazonaws" if china else "com.amazonaws",
        "id": aws.partition,
    }


def _region(aws: Aws, args: Mapping[str, Any]) -> dict[str, Any]:
    _only(args, ("region",))
    region = aws.config.region
    if args.get("region") not in (None, region):
        raise InvokeError(f"getRegion: the aws stand-in serves only the provider's region {region}")
    return {
        "region": region,
        "name": region,
        "id": region,
        "description": REGION_NAMES.get(region, region),
        "endpoint": f"ec2.{region}.amazonaws.com",
    }


def _only(args: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    extra = sorted(name for name, value in args.items() if value is not None and name not in allowed)
    if extra:
        raise InvokeError(f"argument {extra[0]!r} is not served by the aws stand-in (dev/aws_standin)")


INVOKES: dict[str, Callable[[Aws, Mapping[str, Any]], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getRegion:getRegion": _region,
}
