"""What verify checks against: the stack's outputs and the few config values that shape the bucket.

Two sources: the Automation API (``--stack``: ``LocalWorkspace.stack_outputs`` and ``get_all_config``,
which run ``pulumi stack output --json --show-secrets`` and ``pulumi config --json --show-secrets``
without changing the selected stack), or a saved ``pulumi stack output --json --show-secrets`` file
(``--outputs-file``) plus, optionally, the stack's ``Pulumi.<stack>.yaml`` (``--config-file``) for the
bucket settings; without it the program's defaults are assumed. Secret outputs are remembered
(``Deployment.secret_outputs``: ``OutputValue.secret``, or ``externalId`` held as ``secure:`` in the
config file) so that ``verify.untrusted`` masks them; the values are validated there, before any request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analytics_export.policies import BITMOVIN_PRINCIPAL
from analytics_export.stack_outputs import REQUIRED_OUTPUTS, STACK_OUTPUTS
from bitmovin_api.redaction import SECRET_MASK

from .errors import StackError

DEFAULT_API_URL = "https://api.bitmovin.com/v1"
PROJECT_DIR = Path(__file__).resolve().parent.parent
_ROLE_ARN = re.compile(r"^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$")


@dataclass(frozen=True)
class Deployment:
    """One deployed stack as verify sees it. ``api_key`` is kept out of ``repr``."""

    stack: str | None
    output_id: str
    external_id: str
    external_id_mode: str | None
    role_arn: str
    role_name: str
    bucket_name: str
    region: str
    tenant_org_id: str | None
    export_prefix: str
    object_ownership: str = "BucketOwnerEnforced"
    kms_key_arn: str | None = None
    existing_bucket: bool = False
    principal_arn: str = BITMOVIN_PRINCIPAL
    api_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    # Outputs the stack marks secret (``OutputValue.secret``; with --outputs-file, externalId when the
    # config file holds it as ``secure:``): masked in everything verify prints (verify.untrusted).
    secret_outputs: frozenset[str] = frozenset()
    # The config as read (plain values only), for validation (verify.untrusted); may hold the API key.
    config: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def partition(self) -> str:
        return self.role_arn.split(":", 2)[1]

    @property
    def account_id(self) -> str:
        return self.role_arn.split(":")[4]

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket_name}"


def deployment_from(
    outputs: Mapping[str, Any],
    config: Mapping[str, Any],
    *,
    stack: str | None,
    project: str,
    secret: Iterable[str] = (),
) -> Deployment:
    """Build a :class:`Deployment` from raw outputs and config (``namespace:key`` names);
    ``secret`` names the outputs whose values must not be printed."""
    missing = [name for name in REQUIRED_OUTPUTS if not outputs.get(name)]
    if missing:
        raise StackError(
            f"stack output(s) {', '.join(missing)} missing: run `pulumi up` first, or save the outputs with "
            "`pulumi stack output --json --show-secrets > outputs.json`"
        )
    masked = [name for name, value in outputs.items() if value == SECRET_MASK]
    if masked:
        raise StackError(
            f"stack output(s) {', '.join(masked)} are masked as {SECRET_MASK}: save them with "
            "`pulumi stack output --json --show-secrets`"
        )
    # Stack output name -> the Deployment field of the same attribute (``STACK_OUTPUTS``).
    by_attribute = {output.attribute: outputs.get(output.name) for output in STACK_OUTPUTS}
    role_arn = str(by_attribute["role_arn"])
    match = _ROLE_ARN.match(role_arn)
    if not match:
        raise StackError(f"stack output roleArn {role_arn!r} is not an IAM role ARN")

    def project_value(key: str) -> Any:
        value = config.get(f"{project}:{key}")
        return None if value in (None, "") else value

    def string(value: Any) -> str | None:
        return value if isinstance(value, str) and value else None

    return Deployment(
        stack=stack,
        output_id=str(by_attribute["output_id"]),
        external_id=str(by_attribute["external_id"]),
        external_id_mode=string(by_attribute["external_id_mode"]),
        role_arn=role_arn,
        role_name=string(by_attribute["role_name"]) or match.group(3),
        bucket_name=str(by_attribute["bucket_name"]),
        region=str(by_attribute["region"]),
        tenant_org_id=string(by_attribute["tenant_org_id"]),
        export_prefix=str(by_attribute["export_prefix"] or ""),
        object_ownership=string(project_value("objectOwnership")) or "BucketOwnerEnforced",
        kms_key_arn=string(project_value("kmsKeyArn")),
        existing_bucket=bool(project_value("existingBucketName")),
        principal_arn=string(project_value("bitmovinPrincipalArn")) or BITMOVIN_PRINCIPAL,
        api_url=string(config.get("bitmovin:apiUrl")),
        api_key=string(config.get("bitmovin:apiKey")),
        secret_outputs=frozenset(secret),
        config=dict(config),
    )


# libyaml's safe loader where PyYAML has it (the wheels do): Pulumi.yaml's descriptions make the
# pure-Python loader cost ~30 ms a read.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _safe_yaml(text: str) -> Any:
    """``yaml.safe_load`` with libyaml: the safe loader, so no object is ever instantiated."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 (a SafeLoader)


def project_name(project_dir: Path = PROJECT_DIR) -> str:
    """``name`` from ``Pulumi.yaml`` (the namespace of the project's config keys)."""
    try:
        document = _safe_yaml((project_dir / "Pulumi.yaml").read_text())
    except (OSError, yaml.YAMLError) as error:
        raise StackError(f"cannot read {project_dir / 'Pulumi.yaml'}: {error}") from None
    return str(document.get("name", "bitmovin-analytics-export"))


def from_files(outputs_file: Path, config_file: Path | None, project_dir: Path = PROJECT_DIR) -> Deployment:
    """From ``pulumi stack output --json --show-secrets`` saved to a file, plus ``Pulumi.<stack>.yaml``."""
    try:
        outputs = json.loads(outputs_file.read_text())
    except (OSError, ValueError) as error:
        raise StackError(f"cannot read stack outputs from {outputs_file}: {error}") from None
    if not isinstance(outputs, dict):
        raise StackError(f"{outputs_file} does not hold `pulumi stack output --json` (a JSON object)")
    config: dict[str, Any] = {}
    stack = None
    project = project_name(project_dir)
    secret = set()
    if config_file is not None:
        try:
            document = _safe_yaml(config_file.read_text()) or {}
        except (OSError, yaml.YAMLError) as error:
            raise StackError(f"cannot read stack config {config_file}: {error}") from None
        # Encrypted values ({"secure": ...}) cannot be read here; the API key comes from elsewhere.
        raw = document.get("config") or {}
        config = {key: value for key, value in raw.items() if not isinstance(value, dict)}
        # `pulumi config set --secret externalId` makes the program's externalId output secret, which a
        # saved `pulumi stack output --json --show-secrets` no longer shows: take it from the config.
        if isinstance(raw.get(f"{project}:externalId"), dict):
            secret.add("externalId")
        match = re.fullmatch(r"Pulumi\.(.+)\.ya?ml", config_file.name)
        stack = match.group(1) if match else None
    return deployment_from(outputs, config, stack=stack, project=project, secret=secret)


@dataclass(frozen=True)
class StackValues:
    """A stack's outputs and config as the Automation API returns them, plaintext, with the names of
    the secret ones (``OutputValue.secret``, ``ConfigValue.secret``)."""

    outputs: dict[str, Any]
    config: dict[str, Any] = field(repr=False)
    secret_outputs: frozenset[str] = frozenset()
    secret_config: frozenset[str] = frozenset()

    def masked_outputs(self) -> dict[str, Any]:
        """The outputs as ``pulumi stack output --json`` shows them: secrets as ``[secret]``."""
        return {name: SECRET_MASK if name in self.secret_outputs else v for name, v in self.outputs.items()}


def read_stack(stack: str, project_dir: Path = PROJECT_DIR, workspace: Any = None) -> StackValues:
    """Outputs and config of ``stack`` through the Automation API (needs the Pulumi CLI)."""
    if workspace is None:
        from pulumi import automation

        try:
            workspace = automation.LocalWorkspace(work_dir=str(project_dir))
        except FileNotFoundError:
            raise StackError(
                "the Pulumi CLI is not installed here: install it, or save the outputs elsewhere with "
                "`pulumi stack output --json --show-secrets > outputs.json` and pass --outputs-file"
            ) from None
    try:
        outputs = workspace.stack_outputs(stack)
        config = workspace.get_all_config(stack)
    except Exception as error:  # automation errors carry the CLI's stderr, never secrets
        raise StackError(f"cannot read stack {stack!r} with the Pulumi CLI: {_first_line(error)}") from None
    return StackValues(
        outputs={name: item.value for name, item in outputs.items()},
        config={name: item.value for name, item in config.items()},
        secret_outputs=frozenset(name for name, item in outputs.items() if getattr(item, "secret", False)),
        secret_config=frozenset(name for name, item in config.items() if getattr(item, "secret", False)),
    )


def from_automation_api(stack: str, project_dir: Path = PROJECT_DIR, workspace: Any = None) -> Deployment:
    """A :class:`Deployment` from ``stack``'s outputs and config (:func:`read_stack`)."""
    values = read_stack(stack, project_dir, workspace)
    return deployment_from(
        values.outputs,
        values.config,
        stack=stack,
        project=project_name(project_dir),
        secret=values.secret_outputs,
    )


def _first_line(error: Exception) -> str:
    """The CLI's first error line (stderr only: stdout of a ``--show-secrets`` command may hold secrets)."""
    stderr = getattr(error, "stderr", None)
    lines = [line.strip() for line in str(stderr or "").splitlines() if line.strip()]
    preferred = [line for line in lines if "error" in line.lower()] or lines
    return preferred[0][:300] if preferred else type(error).__name__
