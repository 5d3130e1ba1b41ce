"""What differs between a deployed IAM policy and the one the program writes, statement by statement.

Statements are paired by ``Sid``, then the remaining ones by the actions they share. For each pair the
actions and resources missing from or extra in the deployed statement are named, and a different
effect or condition is shown with both values; an expected statement without a partner is "missing",
a deployed one without a partner "extra".
"""

from __future__ import annotations

import json
from typing import Any

from verify.trust_evaluation import parse_policy, statements

_LISTS = {
    "Action": "actions",
    "NotAction": "NotAction entries",
    "Resource": "resources",
    "NotResource": "NotResource entries",
}


def _values(statement: dict[str, Any], key: str) -> list[str]:
    value = statement.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _label(statement: dict[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid}" if sid else f"statement {index + 1} (no Sid)"


def summary(statement: dict[str, Any]) -> str:
    """``Allow s3:PutObject on arn:aws:s3:::b/p/*`` (with ``if <condition>`` when there is one)."""
    actions = _values(statement, "Action") or [f"all but {a}" for a in _values(statement, "NotAction")]
    resources = _values(statement, "Resource") or [f"all but {r}" for r in _values(statement, "NotResource")]
    text = f"{statement.get('Effect')} {', '.join(actions)} on {', '.join(resources)}"
    if statement.get("Condition"):
        text += f" if {_compact(statement['Condition'])}"
    return text


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _pair(expected: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[tuple[int | None, int | None]]:
    pairs: list[tuple[int | None, int | None]] = []
    free = set(range(len(found)))
    unpaired = []
    by_sid = {s.get("Sid"): i for i, s in enumerate(found) if s.get("Sid")}
    for e, statement in enumerate(expected):
        f = by_sid.get(statement.get("Sid"))
        if statement.get("Sid") and f is not None and f in free:
            pairs.append((e, f))
            free.discard(f)
        else:
            unpaired.append(e)
    for e in unpaired:
        wanted = set(_values(expected[e], "Action"))
        best = max(sorted(free), key=lambda f: len(wanted & set(_values(found[f], "Action"))), default=None)
        if best is not None and wanted & set(_values(found[best], "Action")):
            pairs.append((e, best))
            free.discard(best)
        else:
            pairs.append((e, None))
    pairs.extend((None, f) for f in sorted(free))
    return pairs


def _statement_differences(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    differences = []
    if expected.get("Effect") != found.get("Effect"):
        differences.append(f"Effect {found.get('Effect')}, expected {expected.get('Effect')}")
    for key in _LISTS:
        want, have = _values(expected, key), _values(found, key)
        noun = _LISTS[key]
        missing = [v for v in want if v not in have]
        extra = [v for v in have if v not in want]
        if missing:
            differences.append(f"missing {noun} {', '.join(missing)}")
        if extra:
            differences.append(f"extra {noun} {', '.join(extra)}")
    want_condition, have_condition = expected.get("Condition"), found.get("Condition")
    if _canonical(want_condition) != _canonical(have_condition):
        differences.append(
            f"Condition {_compact(have_condition) if have_condition else '(none)'}, expected "
            f"{_compact(want_condition) if want_condition else '(none)'}"
        )
    other = sorted(
        key
        for key in set(expected) | set(found)
        if key not in (*_LISTS, "Sid", "Effect", "Condition") and expected.get(key) != found.get(key)
    )
    differences.extend(
        f"{key} {_compact(found.get(key))}, expected {_compact(expected.get(key))}" for key in other
    )
    return differences


def _canonical(value: Any) -> str:
    def normalize(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: normalize(v) for k, v in sorted(item.items())}
        if isinstance(item, list):
            return sorted((normalize(v) for v in item), key=_compact)
        return [item] if isinstance(item, str) else item

    return _compact(normalize(value)) if value else ""


def policy_differences(expected: Any, found: Any) -> list[str]:
    """One sentence per differing statement; empty when the policies mean the same statements."""
    expected, found = parse_policy(expected), parse_policy(found)
    want, have = statements(expected), statements(found)
    differences = [
        f"{key} {_compact(found.get(key))}, expected {_compact(expected.get(key))}"
        for key in sorted((set(expected) | set(found)) - {"Statement"})
        if expected.get(key) != found.get(key)
    ]
    for e, f in _pair(want, have):
        if f is None:
            assert e is not None
            differences.append(f"{_label(want[e], e)} missing (expected {summary(want[e])})")
        elif e is None:
            differences.append(f"extra {_label(have[f], f)}: {summary(have[f])}")
        else:
            changes = _statement_differences(want[e], have[f])
            if changes:
                differences.append(f"{_label(want[e], e)}: {'; '.join(changes)}")
    return differences
