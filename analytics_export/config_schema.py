"""The project's stack config keys, read from ``Pulumi.yaml``: the one place they are declared.

The Pulumi CLI reads the ``config:`` block of ``Pulumi.yaml`` (types, defaults, descriptions); the
program reads the same block here instead of keeping a second copy. The file ships with the
program, next to this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PULUMI_YAML = Path(__file__).resolve().parents[1] / "Pulumi.yaml"
_PYTHON_TYPES = {"string": str, "boolean": bool, "integer": int}


@dataclass(frozen=True)
class ConfigKey:
    """A project config key as declared in ``Pulumi.yaml``."""

    name: str
    type: str  # string | boolean | integer
    default: Any
    description: str


@cache
def project_keys(path: Path = PULUMI_YAML) -> dict[str, ConfigKey]:
    """Every declared project key, in declaration order; refuses a block the program cannot use."""
    declared = yaml.safe_load(path.read_text(encoding="utf-8")).get("config") or {}
    keys: dict[str, ConfigKey] = {}
    for name, schema in declared.items():
        kind = schema.get("type")
        if kind not in _PYTHON_TYPES or "default" not in schema:
            raise ValueError(
                f"{path}: config key {name!r} needs a type (string, boolean or integer) and a default "
                "(the CLI treats a declared key without a default as required)"
            )
        if type(schema["default"]) is not _PYTHON_TYPES[kind]:
            raise ValueError(f"{path}: the default of config key {name!r} is not of type {kind}")
        keys[name] = ConfigKey(name, kind, schema["default"], str(schema.get("description", "")).strip())
    return keys
