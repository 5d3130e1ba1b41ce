"""``--stack local`` after ``./sandbox up``: read and check the stack where the sandbox keeps it.

The sandbox's ``local`` stack lives in a file backend under ``.sandbox/state``, is deployed by the CLI
``up`` used (perhaps the project's engine, not on PATH), against moto and the Bitmovin emulator. ``up``
records all of that in ``.sandbox/session.json`` (``dev/sandbox.py``, ``record_session``); with it,
``venv/bin/python -m verify --stack local --export`` needs nothing else: the backend and passphrase
reach only the Pulumi commands, AWS calls go to the sandbox's moto with its placeholder key, and the
Analytics license key is the sandbox's placeholder (the emulator accepts any). AWS and Bitmovin
variables of the shell are not used, so a sandbox check never reaches a real account.

The file is input like any other: every value must point into the project's ``.sandbox`` or at
``http://127.0.0.1``, else verify stops naming the key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import StackError

LOCAL_STACK = "local"
SESSION_FILE = Path(".sandbox") / "session.json"
SESSION_FORMAT = 1
_LOCAL_URL = re.compile(r"^http://127\.0\.0\.1:(\d{4,5})$")
# Variables of the shell a sandbox check ignores (verify reads AWS and Bitmovin settings from them).
FOREIGN_PREFIXES = ("AWS_", "BITMOVIN_")


@dataclass(frozen=True)
class SandboxSession:
    """What ``./sandbox up`` recorded; secrets-like placeholders kept out of ``repr`` all the same."""

    file: Path
    pulumi_root: Path
    path_first: tuple[str, ...]
    backend: str
    aws_endpoint: str
    api_url: str
    passphrase: str = field(repr=False)
    aws_keys: tuple[str, str] = field(repr=False)
    license_key: str = field(repr=False)

    def pulumi_env(self, path: str) -> dict[str, str]:
        """The variables of every Pulumi command verify runs (``path``: the shell's PATH)."""
        return {
            "PULUMI_BACKEND_URL": self.backend,
            "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PATH": ":".join([*self.path_first, *([path] if path else [])]),
        }

    def workspace(self, project_dir: Path, path: str) -> Any:
        """An Automation API workspace on the sandbox's backend, with the CLI ``up`` used."""
        from pulumi import automation

        return automation.LocalWorkspace(
            work_dir=str(project_dir),
            env_vars=self.pulumi_env(path),
            pulumi_command=automation.PulumiCommand(root=str(self.pulumi_root), skip_version_check=True),
        )

    def aws_session(self) -> Any:
        """A boto3 session with the sandbox's placeholder key (moto accepts any), blind to the shell's
        AWS profile and config files (``AWS_PROFILE`` would otherwise be looked up, and may not exist)."""
        import os

        import boto3
        import botocore.session

        # (config file key, environment variable, default, conversion): no variable, no file.
        core = botocore.session.Session(
            session_vars={
                "profile": (None, None, None, None),
                "config_file": (None, None, os.devnull, None),
                "credentials_file": (None, None, os.devnull, None),
            }
        )
        return boto3.session.Session(
            aws_access_key_id=self.aws_keys[0], aws_secret_access_key=self.aws_keys[1], botocore_session=core
        )

    def environ(self, environ: Mapping[str, str]) -> dict[str, str]:
        """``environ`` without AWS and Bitmovin settings, with the sandbox's license key."""
        kept = {k: v for k, v in environ.items() if not k.upper().startswith(FOREIGN_PREFIXES)}
        return {**kept, "BITMOVIN_ANALYTICS_LICENSE_KEY": self.license_key}


def sandbox_session(stack: str | None, project_dir: Path) -> SandboxSession | None:
    """The sandbox's session if ``stack`` is its ``local`` stack and ``./sandbox up`` recorded one."""
    path = project_dir / SESSION_FILE
    if stack != LOCAL_STACK or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StackError(f"{path} cannot be read ({error}): run ./sandbox up again") from None
    if not isinstance(data, dict) or data.get("format") != SESSION_FORMAT:
        raise StackError(f"{path} is not a session of this sandbox: run ./sandbox up again")
    work = (project_dir / ".sandbox").resolve()

    def value(key: str) -> str:
        found = data.get(key)
        if not isinstance(found, str) or not found or any(ord(c) < 32 for c in found):
            raise StackError(f"{path}: {key} must be a non-empty string: run ./sandbox up again")
        return found

    def inside(key: str, text: str) -> Path:
        where = Path(text).resolve()
        if where != work and work not in where.parents:
            raise StackError(f"{path}: {key} must be inside {work}: run ./sandbox up again")
        return where

    def local_url(key: str, suffix: str = "") -> str:
        url = value(key)
        if not url.endswith(suffix) or not _LOCAL_URL.match(url.removesuffix(suffix)):
            raise StackError(f"{path}: {key} must be http://127.0.0.1:<port>{suffix}: run ./sandbox up again")
        return url

    backend = value("backend")
    if not backend.startswith("file://"):
        raise StackError(f"{path}: backend must be a file:// URL: run ./sandbox up again")
    inside("backend", backend.removeprefix("file://"))
    first = data.get("pathFirst")
    if not isinstance(first, list) or not all(isinstance(entry, str) and entry for entry in first):
        raise StackError(f"{path}: pathFirst must be a list of directories: run ./sandbox up again")
    keys = data.get("awsKeys")
    if not isinstance(keys, dict) or not all(
        isinstance(keys.get(k), str) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    ):
        raise StackError(f"{path}: awsKeys must hold AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    return SandboxSession(
        file=path,
        pulumi_root=inside("pulumiRoot", value("pulumiRoot")),
        path_first=tuple(first),
        backend=backend,
        aws_endpoint=local_url("awsEndpoint"),
        api_url=local_url("bitmovinApiUrl", "/v1"),
        passphrase=value("passphrase"),
        aws_keys=(keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"]),
        license_key=value("licenseKey"),
    )
