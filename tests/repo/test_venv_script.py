"""Layer 1: ``scripts/venv`` installs a lock from its wheelhouse only what the lock's hashes name.

The wheelhouse is a cache shared by every checkout on the machine; a file in it that is not the one
the lock pins (tampered, or another build of the same version) must never be installed. These tests
build a one-package wheel, lock it, and run the script against a wheelhouse of their own with no
index reachable (``PIP_INDEX_URL`` points at a closed local port), so nothing can come from elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from dev.support import REPO_ROOT

pytestmark = pytest.mark.layer1

SCRIPT = REPO_ROOT / "scripts" / "venv"
PROBE = "bx_wheelhouse_probe"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(directory: Path, body: str) -> Path:
    """A minimal pure-Python wheel of ``PROBE`` 1.0 whose module holds ``body``."""
    files = {
        f"{PROBE}.py": body.encode(),
        f"{PROBE}-1.0.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {PROBE}\nVersion: 1.0\n".encode(),
        f"{PROBE}-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "\n".join([*(_record_line(n, d) for n, d in files.items()), f"{PROBE}-1.0.dist-info/RECORD,,"])
    path = directory / f"{PROBE}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr(f"{PROBE}-1.0.dist-info/RECORD", record + "\n")
    return path


def uv_wheel() -> Path:
    """uv's wheel, at the version requirements-dev.lock pins, from the wheelhouse this venv came from."""
    wheelhouse = Path(
        os.environ.get("BITMOVIN_WHEELHOUSE")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        / "bitmovin-analytics-export"
        / "wheels"
    )
    version = next(
        line.split("==")[1].split()[0]
        for line in (REPO_ROOT / "requirements-dev.lock").read_text().splitlines()
        if line.startswith("uv==")
    )
    found = sorted(wheelhouse.glob(f"uv-{version}-*manylinux*x86_64*.whl")) or sorted(
        wheelhouse.glob(f"uv-{version}-*.whl")
    )
    if not found:
        pytest.skip(f"no uv {version} wheel in {wheelhouse}: this venv was not made by scripts/venv")
    return found[0]


@pytest.fixture
def wheelhouse(tmp_path):
    directory = tmp_path / "wheels"
    directory.mkdir()
    wheel = uv_wheel()
    (directory / wheel.name).symlink_to(wheel)
    return directory


def run(tmp_path: Path, wheelhouse: Path, lock: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BITMOVIN_WHEELHOUSE": str(wheelhouse),
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",  # nothing listens: no package from elsewhere
        "PIP_FIND_LINKS": "",
        "PIP_RETRIES": "0",
        "PIP_TIMEOUT": "2",
    }
    return subprocess.run(
        [str(SCRIPT), str(tmp_path / "venv"), str(lock), "--clear"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def lock_of(tmp_path: Path, wheel: Path) -> Path:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock = tmp_path / "probe.lock"
    lock.write_text(f"{PROBE}==1.0 \\\n    --hash=sha256:{digest}\n")
    return lock


def imports_probe(tmp_path: Path) -> str | None:
    venv_python = tmp_path / "venv" / "bin" / "python"
    result = subprocess.run(
        [str(venv_python), "-c", f"import {PROBE}; print({PROBE}.VALUE)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def test_the_locked_wheel_installs_from_the_wheelhouse_without_any_index(tmp_path, wheelhouse):
    lock = lock_of(tmp_path, build_wheel(wheelhouse, "VALUE = 'locked'\n"))
    result = run(tmp_path, wheelhouse, lock)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("(downloaded: no)")
    assert imports_probe(tmp_path) == "locked"


def test_a_wheelhouse_file_the_lock_does_not_name_is_never_installed(tmp_path, wheelhouse):
    lock = lock_of(tmp_path, build_wheel(tmp_path, "VALUE = 'locked'\n"))  # the lock names this build
    build_wheel(wheelhouse, "VALUE = 'tampered'\n")  # the cache holds another file of the same name
    result = run(tmp_path, wheelhouse, lock)
    assert result.returncode != 0
    assert imports_probe(tmp_path) is None


def test_only_a_lock_is_accepted(tmp_path):
    result = subprocess.run(
        [str(SCRIPT), str(tmp_path / "venv"), "requirements-dev.txt"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "is not a requirements*.lock file" in result.stderr
    assert not (tmp_path / "venv").exists()
