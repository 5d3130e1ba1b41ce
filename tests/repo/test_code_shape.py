"""Layer 1: the code stays easy to change: no function outside tests longer than 80 lines, and no
module outside tests importing from tests.

Complexity is capped by ruff (C901, max 15, in pyproject.toml); ruff has no rule for length.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dev.support import REPO_ROOT

pytestmark = pytest.mark.layer1

MAX_FUNCTION_LINES = 80
SKIPPED_PARTS = {"tests", "venv", ".venv", ".ci-venv", ".ci-floors-venv", "node_modules", ".sandbox"}


def _project_modules() -> list[Path]:
    return [
        path for path in REPO_ROOT.rglob("*.py") if not SKIPPED_PARTS & set(path.relative_to(REPO_ROOT).parts)
    ]


def test_the_walk_finds_the_project_modules():
    names = {path.relative_to(REPO_ROOT).as_posix() for path in _project_modules()}
    assert {"__main__.py", "analytics_export/component.py", "providers/analytics_output.py"} <= names


def test_no_function_is_longer_than_80_lines():
    too_long = [
        f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in _project_modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert too_long == []


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_outside_tests_imports_from_tests():
    # What scripts and tests share lives in dev/support/ (see its __init__), never in tests/.
    offenders = [
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in _project_modules()
        for name in sorted(_imported_modules(path))
        if name == "tests" or name.startswith("tests.")
    ]
    assert offenders == []
