"""requirements.txt gives scripts/floor_tests something to pin, and the floor run's modules exist."""

from __future__ import annotations

import importlib.machinery
import importlib.util

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dev.support import REPO_ROOT

pytestmark = pytest.mark.layer1

# Tools that only the tests or the emulators need; `pulumi up` must never install them.
TEST_ONLY = {
    "pytest",
    "pytest-xdist",
    "moto",
    "werkzeug",
    "hypothesis",
    "ruff",
    "parliament",
    "bitmovin-api-sdk",
}


def _floor_script():
    path = REPO_ROOT / "scripts" / "floor_tests"
    loader = importlib.machinery.SourceFileLoader("floor_tests", str(path))
    spec = importlib.util.spec_from_loader("floor_tests", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _requirements() -> list[Requirement]:
    lines = (
        raw.split("#", 1)[0].strip() for raw in (REPO_ROOT / "requirements.txt").read_text().splitlines()
    )
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def test_every_listed_floor_module_exists():
    script = _floor_script()
    assert script.FLOOR_TEST_MODULES
    missing = [m for m in script.FLOOR_TEST_MODULES if not (REPO_ROOT / m).is_file()]
    assert missing == []
    assert "tests/engine/test_engine_lifecycle.py" in script.FLOOR_TEST_MODULES_WHEN_PRESENT


def test_every_requirement_has_a_floor_and_a_ceiling():
    requirements = _requirements()
    assert requirements
    for requirement in requirements:
        operators = sorted(spec.operator for spec in requirement.specifier)
        assert operators == ["<", ">="], f"{requirement}: needs exactly one >= floor and one < ceiling"


def test_the_floors_the_script_pins_are_those_of_requirements_txt():
    expected = {
        canonicalize_name(r.name): next(s.version for s in r.specifier if s.operator == ">=")
        for r in _requirements()
    }
    assert _floor_script().floors() == expected


def test_test_only_packages_stay_out_of_requirements_txt():
    names = {canonicalize_name(r.name) for r in _requirements()}
    assert names & TEST_ONLY == set()
