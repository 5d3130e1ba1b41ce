"""Command-line flags of the export tasks (``python -m dev.bitmovin_emulator --help``, group "export tasks").

Acting as Bitmovin toward AWS needs ``--aws-endpoint-url`` (e.g. a moto server). Credentials never go
on the command line, where other users could read them in the process list:

- Bitmovin's IAM user (calls ``sts:AssumeRole``): ``EMULATOR_BITMOVIN_AWS_ACCESS_KEY_ID`` and
  ``EMULATOR_BITMOVIN_AWS_SECRET_ACCESS_KEY`` (default: dummy keys, fine for a moto server without
  IAM enforcement);
- the reader of trust policies (``iam:GetRole`` in the customer's account, standing in for AWS's own
  trust evaluation): boto3's default chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
  ``AWS_PROFILE``, ...).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

from .export_options import AwsActorConfig, ExportOptions

BITMOVIN_KEY_ID_ENV = "EMULATOR_BITMOVIN_AWS_ACCESS_KEY_ID"
BITMOVIN_SECRET_ENV = "EMULATOR_BITMOVIN_AWS_SECRET_ACCESS_KEY"


# The export flags: (flag, ExportOptions field, add_argument keywords). A flag's dest is the field
# name with the "export_" prefix, so export_options_from_args reads every field the same way.
_FLAGS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("--export-queue-seconds", "queue_seconds", {"type": float, "help": "time a task stays QUEUED"}),
    ("--export-hour-seconds", "hour_seconds", {"type": float, "help": "time to export one hour of data"}),
    (
        "--export-file-name",
        "file_name",
        {"help": "strftime pattern of each hourly file before its extension"},
    ),
    (
        "--export-object-acl",
        "object_acl",
        {"metavar": "ACL", "help": "canned ACL sent with each PutObject, e.g. private (default: none)"},
    ),
    (
        "--export-error-details",
        "error_details",
        {
            "action": argparse.BooleanOptionalAction,
            "help": "report the refusing AWS call in an ERROR task's `error` field",
        },
    ),
    (
        "--echo-license-key",
        "echo_license_key",
        {"action": argparse.BooleanOptionalAction, "help": "return licenseKey in export task responses"},
    ),
    (
        "--license-key",
        "license_keys",
        {
            "action": "append",
            "metavar": "KEY",
            "help": "accepted Analytics license key (repeatable); without it any non-empty key is accepted",
        },
    ),
)
_PREFIX = "export_"


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the export flags to the emulator's parser."""
    defaults = ExportOptions()
    group = parser.add_argument_group("export tasks (/v1/analytics/exports)")
    group.add_argument(
        "--aws-endpoint-url",
        metavar="URL",
        help="perform export tasks as Bitmovin against this AWS endpoint (e.g. a moto server); "
        "without it tasks finish without writing",
    )
    group.add_argument(
        "--aws-region", default="us-east-1", help="region of the AWS clients (default us-east-1)"
    )
    for flag, name, keywords in _FLAGS:
        default = getattr(defaults, name)
        help_text = keywords["help"] + ("" if default is None else f" (default: {_shown(default)})")
        group.add_argument(flag, dest=_PREFIX + name, default=default, **{**keywords, "help": help_text})


def _shown(default: object) -> str:
    """A default as help shows it (argparse formats help with %, so a % is doubled)."""
    if isinstance(default, bool):
        return "on" if default else "off"
    return (f"{default:g}" if isinstance(default, float) else str(default)).replace("%", "%%")


def export_options_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] = os.environ
) -> ExportOptions:
    """``ExportOptions`` from parsed arguments and, for AWS credentials, the environment."""
    aws = None
    if args.aws_endpoint_url:
        aws = AwsActorConfig(
            endpoint_url=args.aws_endpoint_url,
            region=args.aws_region,
            bitmovin_access_key_id=environ.get(BITMOVIN_KEY_ID_ENV, "bitmovin-emulator"),
            bitmovin_secret_access_key=environ.get(BITMOVIN_SECRET_ENV, "bitmovin-emulator"),
        )
    given = {name: getattr(args, _PREFIX + name) for _flag, name, _keywords in _FLAGS}
    keys = given.pop("license_keys")
    return ExportOptions(**given, license_keys=frozenset(keys) if keys else None, aws=aws)
