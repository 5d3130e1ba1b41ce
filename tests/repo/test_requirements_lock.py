"""Layer 1: requirements.lock, which the credentialed CI jobs install with ``pip --require-hashes``.

Every pinned distribution carries at least one sha256 hash, the lock holds exactly the packages
requirements.txt names plus their dependencies, each direct pin satisfies requirements.txt's range,
and the lock says how to regenerate it (README, "Pull requests, deploys and drift").
"""

from __future__ import annotations

import re

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dev.support import REPO_ROOT

pytestmark = pytest.mark.layer1

LOCK = REPO_ROOT / "requirements.lock"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)$")
HASH = re.compile(r"^--hash=sha256:[0-9a-f]{64}$")


def direct_requirements() -> dict[str, Requirement]:
    lines = (REPO_ROOT / "requirements.txt").read_text().splitlines()
    requirements = [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip()]
    return {canonicalize_name(req.name): req for req in requirements}


def lock_entries() -> list[tuple[str, str, list[str], list[str]]]:
    """(name, version, hash options, `# via` names) per pinned distribution."""
    entries: list[tuple[str, str, list[str], list[str]]] = []
    for line in LOCK.read_text().splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not line.startswith((" ", "#")):
            requirement = stripped.removesuffix("\\").strip()
            match = PIN.match(requirement)
            assert match, f"not an exact pin: {line!r}"
            entries.append((canonicalize_name(match["name"]), match["version"], [], []))
        elif stripped.startswith("--hash="):
            assert entries, line
            entries[-1][2].append(stripped.removesuffix("\\").strip())
        elif stripped.startswith("#") and entries and "-r requirements.txt" in stripped:
            entries[-1][3].append("requirements.txt")
        elif not stripped.startswith("#"):
            pytest.fail(f"unexpected line in requirements.lock: {line!r}")
    return entries


def test_every_pinned_distribution_has_a_sha256_hash():
    entries = lock_entries()
    assert len(entries) > len(direct_requirements())
    for name, _version, hashes, _via in entries:
        assert hashes, f"{name} has no --hash"
        assert all(HASH.match(option) for option in hashes), (name, hashes)
    assert "--find-links" not in LOCK.read_text()  # no machine-specific index in the lock
    assert "--index-url" not in LOCK.read_text()


def test_the_lock_covers_exactly_the_requirements_and_satisfies_their_ranges():
    direct = direct_requirements()
    entries = {name: (version, via) for name, version, _hashes, via in lock_entries()}
    assert len(entries) == len(lock_entries())  # each distribution once
    assert {name for name, (_v, via) in entries.items() if "requirements.txt" in via} == set(direct)
    for name, requirement in direct.items():
        version, _via = entries[name]
        assert requirement.specifier.contains(version, prereleases=True), (name, version, str(requirement))


def test_the_lock_says_how_it_was_made():
    header = LOCK.read_text().split("\n\n")[0]
    assert "pip-compile" in header
    assert "--generate-hashes" in header
    assert "requirements.txt" in header
