"""Check and Diff, pure: no AWS call (the engine runs both at preview).

``check`` refuses any property the stand-in does not serve, loudly, instead of ignoring it. ``diff``
compares inputs the way terraform's SDK does for these schemas: an unset value equals its zero value
(false, 0, "", empty), policy documents compare as JSON, and a change of a ``ForceNew`` property
replaces the resource.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dev.aws_standin.schema import Prop, ResourceSpec

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker of a value known only after apply
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "json": (str,),
    "bool": (bool,),
    "int": (int, float),
    "map": (dict,),
    "object": (dict,),
    "list": (list,),
}


@dataclass(frozen=True)
class Failure:
    property: str
    reason: str


def check(spec: ResourceSpec, news: Mapping[str, Any]) -> tuple[dict[str, Any], list[Failure]]:
    """The inputs with defaults applied, and every property the stand-in cannot serve as it is."""
    inputs = {name: value for name, value in news.items() if value is not None}
    failures = _check_fields(spec.inputs(), inputs, "", spec.token)
    for name, prop in spec.inputs().items():
        if name not in inputs and prop.default is not None:
            inputs[name] = prop.default
    return inputs, failures


def _check_fields(
    props: Mapping[str, Prop], values: Mapping[str, Any], path: str, token: str
) -> list[Failure]:
    failures = []
    for name, value in values.items():
        where = f"{path}{name}"
        prop = props.get(name)
        if prop is None:
            failures.append(
                Failure(
                    where,
                    f"the aws stand-in (dev/aws_standin) does not serve property {where!r} of {token}: it "
                    "serves only what this project's program sets (docs/aws-standin.md)",
                )
            )
            continue
        failures.extend(_check_value(prop, value, where, token))
    for name, prop in props.items():
        if prop.required and values.get(name) is None:
            failures.append(Failure(f"{path}{name}", f"missing required property {path}{name!r} of {token}"))
    return failures


def _check_value(prop: Prop, value: Any, where: str, token: str) -> list[Failure]:
    if value is None or value == UNKNOWN:
        return []
    if not isinstance(value, _TYPES[prop.kind]) or (prop.kind != "bool" and isinstance(value, bool)):
        return [Failure(where, f"{where} of {token} must be a {prop.kind}, not {type(value).__name__}")]
    if prop.kind == "json":
        try:
            json.loads(value)
        except ValueError as error:
            return [Failure(where, f"{where} of {token} is not a JSON document: {error}")]
    if prop.kind == "map" and not all(isinstance(v, str) or v == UNKNOWN for v in value.values()):
        return [Failure(where, f"{where} of {token} must map strings to strings")]
    if prop.kind == "object":
        return _check_fields(prop.fields, value, f"{where}.", token)
    if prop.kind == "list":
        return [
            failure
            for index, item in enumerate(value)
            for failure in (
                _check_fields(prop.fields, item, f"{where}[{index}].", token)
                if isinstance(item, dict)
                else [Failure(f"{where}[{index}]", f"{where}[{index}] of {token} must be an object")]
            )
        ]
    return []


@dataclass(frozen=True)
class DiffResult:
    changed: list[str]
    replaces: list[str]


def diff(spec: ResourceSpec, olds: Mapping[str, Any], news: Mapping[str, Any]) -> DiffResult:
    """Which inputs differ between the stored state (``olds``) and the checked inputs (``news``)."""
    changed, replaces = [], []
    for name, prop in spec.inputs().items():
        old, new = olds.get(name), news.get(name)
        if new is None and prop.default is not None:
            new = prop.default
        if old is None and prop.default is not None:
            old = prop.default
        if normalized(prop, old) != normalized(prop, new):
            changed.append(name)
            if prop.force_new:
                replaces.append(name)
    return DiffResult(changed, replaces)


def normalized(prop: Prop, value: Any) -> Any:
    """``value`` as terraform compares it: zero values dropped, numbers as ints, JSON parsed."""
    if value is None or value == UNKNOWN:
        return value
    if prop.kind == "json" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if prop.kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    if prop.kind == "object" and isinstance(value, dict):
        return _normalized_fields(prop.fields, value)
    if prop.kind == "list" and isinstance(value, list):
        return [
            _normalized_fields(prop.fields, item) if isinstance(item, dict) else item for item in value
        ] or None
    if value in (False, 0, "") or value == {}:
        return None
    return value


def _normalized_fields(props: Mapping[str, Prop], value: Mapping[str, Any]) -> dict[str, Any] | None:
    kept = {}
    for name, item in value.items():
        prop = props.get(name, Prop("string"))
        normal = normalized(prop, item)
        if normal is not None:
            kept[name] = normal
    return kept or None
