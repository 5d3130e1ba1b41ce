"""Layer 1: the hash-locked requirements*.lock files match the ranges they were generated from.

Every install the project makes comes from a lock (``pip install --require-hashes``): the tests and
CI from requirements-dev.lock, the credentialed workflow jobs from requirements.lock, ``./sandbox``
from requirements-sandbox.lock, ``scripts/floor_tests`` from requirements-floors.lock. This module
fails when a range in a requirements*.txt file changed without ``scripts/lock`` being run: a direct
requirement missing from its lock, pinned outside its range, or a pin that no range names any more.
It also holds the locks to one version per package across the dev, runtime and sandbox locks (the
tests test what deploys install) and the floors lock to the floors. Whether regenerating would
change anything at all is ``scripts/lock --check`` (it needs the package index, so it is no test).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from dev.support import REPO_ROOT

pytestmark = pytest.mark.layer1

# lock -> the requirements file it is generated from
LOCKS = {
    "requirements-dev.lock": "requirements-dev.txt",
    "requirements.lock": "requirements.txt",
    "requirements-sandbox.lock": "requirements-sandbox.txt",
    "requirements-floors.lock": "requirements-dev.txt",
}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)(\s*;\s*(?P<marker>.+))?$")
HASH = re.compile(r"^--hash=sha256:[0-9a-f]{64}$")
VIA_FILE = re.compile(r"-r (?P<file>\S+)")


@dataclass
class Pin:
    name: str
    version: str
    marker: str | None
    hashes: list[str] = field(default_factory=list)
    via_files: set[str] = field(default_factory=set)


def read_lock(path: Path) -> list[Pin]:
    """The pins of a uv/pip-compile lock, with their hashes and the files their ``# via`` names."""
    pins: list[Pin] = []
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not line.startswith((" ", "#")):
            match = PIN.match(stripped.removesuffix("\\").strip())
            assert match, f"{path.name}: not an exact pin: {line!r}"
            pins.append(Pin(canonicalize_name(match["name"]), match["version"], match["marker"]))
        elif stripped.startswith("--hash="):
            assert pins, line
            pins[-1].hashes.append(stripped.removesuffix("\\").strip())
        elif stripped.startswith("#") and pins:
            pins[-1].via_files.update(VIA_FILE.findall(stripped))
        elif not stripped.startswith("#"):
            pytest.fail(f"unexpected line in {path.name}: {line!r}")
    return pins


def direct_requirements(source: str, root: Path = REPO_ROOT) -> dict[str, tuple[str, Requirement]]:
    """``{name: (file that names it, requirement)}`` of ``source``, following its ``-r`` includes."""
    found: dict[str, tuple[str, Requirement]] = {}
    for raw in (root / source).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found.update(direct_requirements(line[3:].strip(), root))
        elif line:
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = (source, requirement)
    return found


def lock_problems(lock: str, source: str, root: Path = REPO_ROOT) -> list[str]:
    """Why ``lock`` no longer matches the ranges of ``source`` (empty: it matches)."""
    pins = read_lock(root / lock)
    direct = direct_requirements(source, root)
    problems = []
    by_name: dict[str, list[Pin]] = {}
    for pin in pins:
        by_name.setdefault(pin.name, []).append(pin)
    for name, (_file, requirement) in sorted(direct.items()):
        if name not in by_name:
            problems.append(f"{lock}: {requirement} is not pinned")
        for pin in by_name.get(name, []):
            if not requirement.specifier.contains(pin.version, prereleases=True):
                problems.append(f"{lock}: {name}=={pin.version} is outside {requirement}")
    for name, entries in sorted(by_name.items()):
        named_by = set().union(*(pin.via_files for pin in entries))
        if named_by and name not in direct:
            problems.append(
                f"{lock}: {name} is pinned as named by {sorted(named_by)}, which no longer name it"
            )
    return problems


def floors() -> dict[str, str]:
    return {
        name: next(spec.version for spec in requirement.specifier if spec.operator == ">=")
        for name, (_file, requirement) in direct_requirements("requirements.txt").items()
    }


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_carries_sha256_hashes_and_no_machine_specific_index(lock):
    pins = read_lock(REPO_ROOT / lock)
    assert len(pins) > len(direct_requirements(LOCKS[lock]))
    for pin in pins:
        assert pin.hashes, f"{lock}: {pin.name} has no --hash"
        assert all(HASH.match(option) for option in pin.hashes), (lock, pin.name, pin.hashes)
    text = (REPO_ROOT / lock).read_text()
    assert "--find-links" not in text
    assert "--index-url" not in text


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_each_lock_matches_the_ranges_it_was_generated_from(lock):
    assert lock_problems(lock, LOCKS[lock]) == []


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_each_lock_says_how_to_regenerate_it(lock):
    header = (REPO_ROOT / lock).read_text().split("\n", 2)[:2]
    assert header[0].startswith("# This file was autogenerated by uv")
    assert header[1].strip() == "#    scripts/lock"


def test_a_range_changed_without_a_new_lock_is_caught(tmp_path):
    """The check above is live: a narrowed range, a new requirement and a dropped one all fail it."""
    for name in ("requirements.txt", "requirements-sandbox.txt", "requirements-dev.txt", "requirements.lock"):
        (tmp_path / name).write_text((REPO_ROOT / name).read_text())
    assert lock_problems("requirements.lock", "requirements.txt", tmp_path) == []
    runtime = (tmp_path / "requirements.txt").read_text()
    (tmp_path / "requirements.txt").write_text(runtime.replace("requests>=2.31,<3", "requests>=2.31,<2.32"))
    assert any(
        "requests==" in p and "outside" in p
        for p in lock_problems("requirements.lock", "requirements.txt", tmp_path)
    )
    (tmp_path / "requirements.txt").write_text(runtime + "tomli-w>=1,<2\n")
    assert any(
        "tomli-w" in p and "not pinned" in p
        for p in lock_problems("requirements.lock", "requirements.txt", tmp_path)
    )
    (tmp_path / "requirements.txt").write_text(runtime.replace("requests>=2.31,<3\n", ""))
    assert any(
        p.startswith("requirements.lock: requests is pinned")
        for p in lock_problems("requirements.lock", "requirements.txt", tmp_path)
    )


def test_tests_and_deploys_install_one_version_of_each_package():
    """The runtime and sandbox locks are resolved under the dev lock: no package differs."""
    dev = {(pin.name, pin.marker): pin.version for pin in read_lock(REPO_ROOT / "requirements-dev.lock")}
    for lock in ("requirements.lock", "requirements-sandbox.lock"):
        for pin in read_lock(REPO_ROOT / lock):
            assert dev.get((pin.name, pin.marker)) == pin.version, (lock, pin.name, pin.version)


def test_the_floors_lock_pins_every_runtime_requirement_at_its_floor():
    pinned = {pin.name: pin.version for pin in read_lock(REPO_ROOT / "requirements-floors.lock")}
    assert floors()
    for name, floor in floors().items():
        assert Version(pinned.get(name, "0")) == Version(floor), (
            f"requirements-floors.lock: {name} {pinned.get(name)} is not its floor {floor}"
        )


def test_markers_in_the_locks_parse():
    """Universal locks carry environment markers (``; sys_platform == 'win32'``) pip evaluates."""
    for lock in LOCKS:
        for pin in read_lock(REPO_ROOT / lock):
            if pin.marker:
                Marker(pin.marker)


def test_everything_the_project_installs_comes_from_a_lock():
    """Docs, scripts and workflows install requirements*.txt only through its lock, with hashes."""
    unlocked = re.compile(r"pip install(?![^\n]*--require-hashes)[^\n]*-r requirements[^\n\s]*")
    offenders = []
    candidates = [
        REPO_ROOT / "README.md",
        REPO_ROOT / ".ci" / "run",
        *sorted((REPO_ROOT / "docs").glob("*.md")),
        *sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml")),
        REPO_ROOT / "dev" / "sandbox.py",
    ]
    for path in candidates:
        offenders += [
            f"{path.relative_to(REPO_ROOT)}: {m.group(0)}" for m in unlocked.finditer(path.read_text())
        ]
    assert offenders == []
