"""The project's stacks, read from its ``Pulumi.<stack>.yaml`` files, and which of them are local-only.

A stack is **local-only** (a sandbox against emulators, never previewed, deployed or drift-checked by
CI or by the fleet command unless named) when

* its name is ``local``, or
* its ``bitmovin:apiUrl`` or any ``aws:endpoints`` URL points at a loopback host: ``localhost``,
  ``*.localhost``, ``127.0.0.0/8``, ``::1`` or the unspecified ``0.0.0.0``/``::``.

Pure functions over text and paths; no Pulumi import, so CI can run this with only PyYAML installed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from fleet.errors import StackFileError

LOCAL_STACK_NAME = "local"
# The names of providers.provider_config, spelt out again: CI runs this module with only PyYAML,
# without the project's packages (scripts/stack_matrix.py).
API_URL_CONFIG = "bitmovin:apiUrl"
TENANT_ORG_ID_CONFIG = "bitmovin:tenantOrgId"
AWS_ENDPOINTS_KEY = "aws:endpoints"
# Pulumi reads Pulumi.<stack>.yaml or .yml; stack names are letters, digits, '-', '_' and '.'.
STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[A-Za-z0-9_.-]+)\.ya?ml$")


@dataclass(frozen=True)
class StackFile:
    """What the fleet and CI need to know about one stack."""

    name: str
    path: Path
    tenant_org_id: str  # "" = the API key's own organization (or set elsewhere, e.g. in ESC)
    local_reason: str | None  # why the stack is local-only; None for a deployable stack

    @property
    def local_only(self) -> bool:
        return self.local_reason is not None


def is_loopback_host(host: str) -> bool:
    """True for names and addresses that can only mean this machine."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def url_is_local(url: Any) -> bool:
    """True when ``url`` is a string whose host is a loopback host (see :func:`is_loopback_host`)."""
    if not isinstance(url, str) or not url.strip():
        return False
    text = url.strip()
    if "://" not in text:
        text = f"//{text}"  # "localhost:8080/v1" has no scheme but still names a host
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return False
    return host is not None and is_loopback_host(host)


def _endpoint_urls(endpoints: Any) -> Iterable[Any]:
    """URLs in ``aws:endpoints`` (a list of ``{service: url}`` maps, or one map)."""
    items = endpoints if isinstance(endpoints, list) else [endpoints]
    for item in items:
        if isinstance(item, Mapping):
            yield from item.values()


def local_reason(stack: str, config: Mapping[str, Any]) -> str | None:
    """Why ``stack`` is local-only, or None. The single rule used by CI and the fleet command."""
    if stack.lower() == LOCAL_STACK_NAME:
        return f"the stack is named '{LOCAL_STACK_NAME}'"
    api_url = config.get(API_URL_CONFIG)
    if url_is_local(api_url):
        return f"{API_URL_CONFIG} is {api_url}"
    for url in _endpoint_urls(config.get(AWS_ENDPOINTS_KEY)):
        if url_is_local(url):
            return f"{AWS_ENDPOINTS_KEY} points at {url}"
    return None


def parse_stack_file(name: str, path: Path, text: str) -> StackFile:
    """One stack file's settings; a file that is not a YAML map is an error naming the file."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StackFileError(f"{path.name} is not valid YAML: {error}") from None
    document = document or {}
    if not isinstance(document, Mapping):
        raise StackFileError(f"{path.name} must be a YAML map with a 'config:' section")
    config = document.get("config") or {}
    if not isinstance(config, Mapping):
        raise StackFileError(f"{path.name}: 'config:' must be a map of keys to values")
    tenant = config.get(TENANT_ORG_ID_CONFIG)
    return StackFile(
        name=name,
        path=path,
        tenant_org_id=tenant.strip() if isinstance(tenant, str) else "",
        local_reason=local_reason(name, config),
    )


def stack_name_of(path: Path) -> str | None:
    """``dev`` for ``Pulumi.dev.yaml``; None for ``Pulumi.yaml`` and other files."""
    match = STACK_FILE.match(path.name)
    return match["stack"] if match else None


def discover(project_dir: Path) -> list[StackFile]:
    """Every stack that has a ``Pulumi.<stack>.yaml`` in ``project_dir``, sorted by name."""
    stacks: dict[str, StackFile] = {}
    for path in sorted(project_dir.iterdir()):
        name = stack_name_of(path)
        if name is None or not path.is_file():
            continue
        if name in stacks:
            raise StackFileError(f"stack {name} has two files: {stacks[name].path.name} and {path.name}")
        stacks[name] = parse_stack_file(name, path, path.read_text(encoding="utf-8"))
    return [stacks[name] for name in sorted(stacks)]


def deployable(stacks: Iterable[StackFile]) -> list[StackFile]:
    """The stacks CI previews, deploys and checks for drift: all but the local-only ones."""
    return [stack for stack in stacks if not stack.local_only]
