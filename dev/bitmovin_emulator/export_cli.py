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

from .export_options import AwsActorConfig, ExportOptions

BITMOVIN_KEY_ID_ENV = "EMULATOR_BITMOVIN_AWS_ACCESS_KEY_ID"
BITMOVIN_SECRET_ENV = "EMULATOR_BITMOVIN_AWS_SECRET_ACCESS_KEY"


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
    group.add_argument(
        "--export-queue-seconds",
        type=float,
        default=defaults.queue_seconds,
        help=f"time a task stays QUEUED (default {defaults.queue_seconds:g})",
    )
    group.add_argument(
        "--export-hour-seconds",
        type=float,
        default=defaults.hour_seconds,
        help=f"time to export one hour of data (default {defaults.hour_seconds:g})",
    )
    group.add_argument(
        "--export-file-name",
        default=defaults.file_name,
        help="strftime pattern of each hourly file before its extension (default %(default)s)",
    )
    group.add_argument(
        "--export-object-acl",
        metavar="ACL",
        help="canned ACL sent with each PutObject, e.g. private (default: none)",
    )
    group.add_argument(
        "--export-error-details",
        action=argparse.BooleanOptionalAction,
        default=defaults.error_details,
        help="report the refusing AWS call in an ERROR task's `error` field (default: on)",
    )
    group.add_argument(
        "--echo-license-key",
        action=argparse.BooleanOptionalAction,
        default=defaults.echo_license_key,
        help="return licenseKey in export task responses (default: on)",
    )
    group.add_argument(
        "--license-key",
        action="append",
        dest="license_keys",
        metavar="KEY",
        help="accepted Analytics license key (repeatable); without it any non-empty key is accepted",
    )


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
    return ExportOptions(
        queue_seconds=args.export_queue_seconds,
        hour_seconds=args.export_hour_seconds,
        file_name=args.export_file_name,
        object_acl=args.export_object_acl,
        error_details=args.export_error_details,
        echo_license_key=args.echo_license_key,
        license_keys=frozenset(args.license_keys) if args.license_keys else None,
        aws=aws,
    )
