"""Command line of ``venv/bin/python -m verify`` (from the project directory, with the project's venv).

    venv/bin/python -m verify --stack acme-prod             # outputs + config via the Automation API
    venv/bin/python -m verify --outputs-file outputs.json [--config-file Pulumi.acme-prod.yaml]
    venv/bin/python -m verify --stack acme-prod --export    # also let Bitmovin write one hour of data
    venv/bin/python -m verify --stack acme-prod --json      # for CI; same exit status

Exit status: 0 = nothing failed, 1 = at least one ✗, 2 = the stack or the arguments could not be used
(checked before any request: every output and config value must pass the project's rules).
The API key comes from the stack's ``bitmovin:apiKey`` (with ``--stack``), else ``BITMOVIN_API_KEY``: the
provider's order (``providers.provider_config.choose_api_key``); never from a flag, which ``ps`` and
shell history would show (``--api-key`` is refused). The license key comes from
``BITMOVIN_ANALYTICS_LICENSE_KEY`` or ``--license-key``. No secret is ever printed. Secret stack outputs
(``externalId`` set with ``pulumi config set --secret``) are shown as ``[secret]`` unless
``--show-secrets`` is given. Everything printed is escaped (``verify.untrusted``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import requests

from bitmovin_api.client import BitmovinClient
from bitmovin_api.http_policy import HttpPolicy
from bitmovin_api.http_session import build_session
from bitmovin_api.redaction import SECRET_MASK
from providers.provider_config import API_KEY_ENV, api_key_problem, choose_api_key
from verify.export_tasks import ExportTasksClient

from .aws_checks import AwsInspection
from .aws_clients import AwsClients, make_clients
from .bitmovin_checks import KEY_FIX, bitmovin_checks, fetch_output
from .checklist import Figures, Report, failed
from .export_check import SECTION as EXPORT_SECTION
from .export_check import ExportProof, ExportSettings
from .sandbox_session import SandboxSession, sandbox_session
from .stack import (
    DEFAULT_API_URL,
    PROJECT_DIR,
    Deployment,
    StackError,
    from_automation_api,
    from_files,
    project_name,
)
from .untrusted import OTHER_SECRET_SHOWN, Masker, deployment_problems, escape, shown

API_URL_ENV = "BITMOVIN_API_URL"
LICENSE_KEY_ENV = "BITMOVIN_ANALYTICS_LICENSE_KEY"
_ID_SEGMENT = re.compile(r"/[0-9a-fA-F-]{16,}(?=/|$)")
API_KEY_FLAG_REFUSED = (
    "--api-key is no longer accepted: a key on the command line shows in `ps` and shell history. "
    f"verify uses the stack's bitmovin:apiKey (with --stack), else {API_KEY_ENV} from the environment; "
    f"to set that without typing the key into a command: `read -rs {API_KEY_ENV} && export {API_KEY_ENV}`"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="venv/bin/python -m verify",
        description="Check that a deployed stack lets Bitmovin write Analytics exports into its bucket.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="read outputs and config of this stack through the Automation API")
    source.add_argument(
        "--outputs-file", type=Path, help="`pulumi stack output --json --show-secrets` saved to a file"
    )
    parser.add_argument(
        "--config-file",
        type=Path,
        help="with --outputs-file: the stack's Pulumi.<stack>.yaml (bucket settings)",
    )
    parser.add_argument(
        "--cwd", type=Path, default=PROJECT_DIR, help="project directory (default: this project)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON (for CI)")
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="print secret stack outputs (externalId set with --secret) instead of [secret]",
    )
    parser.add_argument(
        "--export", action="store_true", help="run a one-hour export task and confirm the files"
    )
    parser.add_argument(
        "--license-key",
        help=f"Analytics license key for --export (prefer {LICENSE_KEY_ENV}: flags show in `ps`)",
    )
    # Refused with its own message (main): a key on the command line shows in `ps` and shell history.
    parser.add_argument("--api-key", dest="api_key_flag", help=argparse.SUPPRESS)
    parser.add_argument(
        "--aws-endpoint-url", help="AWS endpoint, e.g. a local emulator (or AWS_ENDPOINT_URL)"
    )
    parser.add_argument(
        "--paid-checks", action="store_true", help="also run Access Analyzer CheckNoPublicAccess"
    )
    parser.add_argument(
        "--export-timeout", type=float, default=1800, help="seconds to wait for the task (1800)"
    )
    parser.add_argument("--poll-seconds", type=float, default=10, help="seconds between task polls (10)")
    parser.add_argument(
        "--retry-seconds",
        type=float,
        default=300,
        help="how long to retry while the role is not assumable yet (300)",
    )
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
    aws_session: Any = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    workspace: Any = None,
) -> int:
    """Run verify; the keyword arguments exist for tests (no real sleeping, fake AWS sessions)."""
    args = build_parser().parse_args(argv)
    try:
        session = _sandbox(args, stderr)
    except StackError as error:
        print(f"verify: {escape(str(error))}", file=stderr)
        return 2
    if session is not None:
        workspace = workspace or session.workspace(args.cwd, environ.get("PATH", ""))
        environ = session.environ(environ)
    deployment = _usable_deployment(args, environ, stderr, workspace, session)
    if deployment is None:
        return 2
    license_key = args.license_key or environ.get(LICENSE_KEY_ENV)
    if args.export and not license_key:
        print(
            f"verify: --export needs an Analytics license key: set {LICENSE_KEY_ENV} or pass --license-key",
            file=stderr,
        )
        return 2
    api_key = choose_api_key(deployment.api_key, environ)  # the provider's order, checked already
    api_url = deployment.api_url or environ.get(API_URL_ENV) or DEFAULT_API_URL

    masker = Masker()
    if "externalId" in deployment.secret_outputs and not args.show_secrets:
        masker.add([deployment.external_id], SECRET_MASK)
    figures = Figures(clock=clock)
    report = Report(_heading(deployment), figures=figures, mask=masker)
    clients = _aws_clients(args, session, aws_session, deployment, figures)
    inspection = AwsInspection(clients, deployment, paid_checks=args.paid_checks, now=now())
    with figures.timed("aws"):
        aws_lines = inspection.run()
    client = _bitmovin_client(api_key, api_url, deployment, figures) if api_key else None
    with figures.timed("bitmovin"):
        lookup = fetch_output(client, deployment) if client else None
    trust_ids = inspection.trust.required_external_ids if inspection.trust else None
    if masker:  # the external IDs the trust policy and the output hold instead are secret as well
        output_id = lookup.output.get("externalId") if lookup and lookup.output else None
        masker.add([*(trust_ids or []), output_id], OTHER_SECRET_SHOWN)
    report.add(*bitmovin_checks(deployment, lookup, trust_ids), *aws_lines)
    if args.export:
        with figures.timed("export"):
            if client is None:
                report.add(
                    failed("export.task", EXPORT_SECTION, "export task", "no Bitmovin API key", KEY_FIX)
                )
            else:
                proof = ExportProof(
                    ExportTasksClient(client),
                    clients.s3,
                    deployment,
                    ExportSettings(
                        license_key=license_key or "",
                        poll_seconds=args.poll_seconds,
                        timeout_seconds=args.export_timeout,
                        retry_seconds=args.retry_seconds,
                    ),
                    inspection.facts,
                    clock=clock,
                    sleep=sleep,
                    now=now,
                    progress=stderr,
                    show=shown(masker),
                )
                report.add(*proof.run())
    print(report.to_json() if args.json else report.render_text(), file=stdout)
    return 0 if report.ok else 1


def _aws_clients(
    args: argparse.Namespace,
    session: SandboxSession | None,
    aws_session: Any,
    deployment: Deployment,
    figures: Figures,
) -> AwsClients:
    """boto3 clients: the given session, the sandbox's moto, or boto3's default chain."""
    endpoint_url = args.aws_endpoint_url
    if session is not None:
        aws_session = aws_session or session.aws_session()
        endpoint_url = endpoint_url or session.aws_endpoint
    if aws_session is None:
        import boto3

        aws_session = boto3.session.Session()
    return make_clients(aws_session, deployment, endpoint_url, figures)


def _sandbox(args: argparse.Namespace, stderr: TextIO) -> SandboxSession | None:
    """The sandbox's session for its ``local`` stack (said in one line), or None."""
    session = sandbox_session(args.stack, args.cwd)
    if session is not None:
        print(
            f"verify: stack {args.stack} is the sandbox's ({session.file}): its backend, moto and Bitmovin "
            "emulator; AWS and Bitmovin settings of the environment are not used",
            file=stderr,
        )
    return session


def _usable_deployment(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    stderr: TextIO,
    workspace: Any,
    session: SandboxSession | None = None,
) -> Deployment | None:
    """The stack as read and validated (verify.untrusted) with a usable API key if any, or None after
    saying on stderr why not. ``--api-key`` is refused before anything is read."""
    if args.api_key_flag is not None:
        print(f"verify: {API_KEY_FLAG_REFUSED}", file=stderr)
        return None
    try:
        if args.stack:
            deployment = from_automation_api(args.stack, args.cwd, workspace)
            if session is not None:  # the emulator's port may be moved (SANDBOX_BITMOVIN_PORT)
                deployment = dataclasses.replace(deployment, api_url=session.api_url)
        else:
            if args.config_file is not None and not args.config_file.exists():
                raise StackError(f"--config-file {args.config_file} does not exist")
            deployment = from_files(args.outputs_file, args.config_file, args.cwd)
        problems = deployment_problems(
            deployment,
            project=project_name(args.cwd),
            api_url_env=environ.get(API_URL_ENV),
            api_url_env_name=API_URL_ENV,
        )
    except StackError as error:
        print(f"verify: {escape(str(error))}", file=stderr)
        return None
    if problems:
        for problem in problems:
            print(f"verify: {escape(problem)}", file=stderr)
        print(
            "verify: nothing was checked; fix these values (`pulumi up --refresh` rewrites the outputs, "
            "`pulumi config set` the config) or use the stack's own outputs file",
            file=stderr,
        )
        return None
    api_key = choose_api_key(deployment.api_key, environ)
    if api_key is not None and (key_problem := api_key_problem(api_key)) is not None:
        print(f"verify: {key_problem}; nothing was checked", file=stderr)
        return None
    return deployment


def _heading(d: Deployment) -> str:
    where = f"stack {d.stack}" if d.stack else "saved stack outputs"
    return f"Verify {where}: output {d.output_id} -> s3://{d.bucket_name}/{d.export_prefix} via role {d.role_name}"


def _bitmovin_client(api_key: str, api_url: str, deployment: Deployment, figures: Figures) -> BitmovinClient:
    # A check, not a deployment: give up on an unreachable API after 20 s rather than the provider's 60.
    http = HttpPolicy(retry_budget_seconds=20)
    session = build_session(http)

    def count(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        retries = getattr(getattr(response, "raw", None), "retries", None)
        attempts = 1 + len(getattr(retries, "history", ()) or ())
        path = _ID_SEGMENT.sub("/{id}", response.request.path_url.split("?", 1)[0])
        for _ in range(attempts):
            figures.count(f"bitmovin:{response.request.method} {path}")

    session.hooks["response"].append(count)
    return BitmovinClient(
        api_key, base_url=api_url, tenant_org_id=deployment.tenant_org_id, http=http, session=session
    )
