"""Command line: ``python -m dev.bitmovin_emulator [--host H] [--port N] [--api-key K ...] [options]``.

Prints the base URL as the first stdout line (scripts read it to find a
``--port 0`` server), then serves until SIGINT/SIGTERM and exits with code 0.
With ``--state-file PATH`` the outputs survive a restart; an unusable file stops it with code 2.
"""

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import fields
from types import FrameType

from .errors import StateFileError
from .export_cli import add_export_arguments, export_options_from_args
from .options import EmulatorOptions
from .server import EmulatorServer


def build_parser() -> argparse.ArgumentParser:
    """Argument parser; option flags mirror ``EmulatorOptions`` (see its docstring)."""
    defaults = EmulatorOptions()
    parser = argparse.ArgumentParser(
        prog="python -m dev.bitmovin_emulator",
        description="Local emulator of the Bitmovin Analytics S3 role-based outputs API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default 0)")
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="allowed API key (repeatable); without it any non-empty key is accepted",
    )
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    parser.add_argument(
        "--state-file",
        metavar="PATH",
        help="keep outputs in this JSON file (rewritten atomically after every change) so that a restart "
        "loses nothing; default: in memory only",
    )
    bools = parser.add_argument_group("response shape (UNCONFIRMED points of the contract)")
    for name, help_text in (
        ("echo_role_arn", "return roleArn in output responses"),
        ("echo_custom_data", "return customData in output responses"),
        ("echo_acl", "return acl in output responses"),
        ("echo_type", "return type in output responses"),
        ("validate_role_arn", "reject a roleArn that is not an IAM role ARN"),
        ("pagination_links", "add previous/next links to list results"),
        ("require_custom_external_id", "reject externalIdMode CUSTOM without an externalId (400)"),
        ("validate_tenant_org_id", "reject an X-Tenant-Org-Id that is not a UUID (400)"),
        ("reject_zero_limit", "reject limit=0 on the list (400)"),
    ):
        default = getattr(defaults, name)
        bools.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            action=argparse.BooleanOptionalAction,
            default=default,
            help=f"{help_text} (default: {'on' if default else 'off'})",
        )
    bools.add_argument("--create-status", type=int, choices=(200, 201), default=defaults.create_status)
    bools.add_argument("--delete-body", choices=("id", "full"), default=defaults.delete_body)
    bools.add_argument(
        "--unauthorized-body", choices=("envelope", "gateway"), default=defaults.unauthorized_body
    )
    bools.add_argument("--name-filter", choices=("exact", "substring"), default=defaults.name_filter)
    bools.add_argument(
        "--external-id-in-generated-modes",
        choices=("reject", "replace"),
        default=defaults.external_id_in_generated_modes,
        help="an externalId sent with GLOBAL/GENERATED: reject it (400) or silently replace it "
        f"(default: {defaults.external_id_in_generated_modes})",
    )
    add_export_arguments(parser)
    return parser


def options_from_args(args: argparse.Namespace) -> EmulatorOptions:
    """``EmulatorOptions`` from parsed arguments."""
    # A switch's dest is its field's name; home_orgs and org_access have no switch (tests set them).
    given = {
        f.name: getattr(args, f.name)
        for f in fields(EmulatorOptions)
        if hasattr(args, f.name) and f.name not in ("api_keys", "exports")
    }
    return EmulatorOptions(
        **given,
        api_keys=frozenset(args.api_keys) if args.api_keys else None,
        exports=export_options_from_args(args),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        server = EmulatorServer(
            options_from_args(args), host=args.host, port=args.port, state_file=args.state_file
        ).start()
    except StateFileError as error:
        print(f"dev.bitmovin_emulator: {error}", file=sys.stderr)
        return 2
    try:
        print(server.base_url, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.close()
    return 0
