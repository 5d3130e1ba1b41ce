"""Policies as comparable text, so a deployed policy can be compared with the one the program writes."""

from __future__ import annotations

import json
from typing import Any

from verify.trust_evaluation import parse_policy, statements


def canonical(document: Any) -> str:
    """A policy as comparable text: single values as lists, lists sorted, keys sorted."""

    def normalize(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: normalize(v, k) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return sorted((normalize(v) for v in value), key=lambda item: json.dumps(item, sort_keys=True))
        if key in ("Action", "NotAction", "Resource", "NotResource") and isinstance(value, str):
            return [value]
        return value

    policy = parse_policy(document)
    body = {**policy, "Statement": [normalize(statement) for statement in statements(policy)]}
    return json.dumps(normalize(body), sort_keys=True)
