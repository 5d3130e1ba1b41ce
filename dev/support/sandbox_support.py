"""Shared by the sandbox tests and the CLI lifecycle test: the sandbox module, project copies, ports.

``dev/sandbox.py`` is a standalone script (standard library only, it runs before the virtual
environment exists), so tests load it from its file instead of importing a package.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import socket
import sys
from pathlib import Path
from types import ModuleType

from dev.support import REPO_ROOT
from dev.support.engine import running_venv

__all__ = ["running_venv"]

# What a project copy needs to run the program (Pulumi) and the sandbox.
PROGRAM_FILES = ("Pulumi.yaml", "Pulumi.local.yaml", "__main__.py", "requirements.txt")
PROGRAM_DIRS = ("analytics_export", "providers", "bitmovin_api", "dev", "verify")
SANDBOX_FILES = (
    "sandbox",
    "dev/sandbox.py",
    "requirements-sandbox.txt",
    "requirements-sandbox.lock",
    "requirements-dev.lock",  # scripts/venv reads the pin of its installer (uv) from it
    "scripts/venv",
)


def load_sandbox() -> ModuleType:
    """``dev/sandbox.py`` as a module (registered, so its dataclasses work)."""
    name = "bitmovin_analytics_export_sandbox"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "dev" / "sandbox.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def copy_project(target: Path, *, venv: Path | None = None, with_sandbox: bool = False) -> Path:
    """The program (and optionally the sandbox) in ``target``; ``Pulumi.yaml`` names ``venv`` if given.

    A copy keeps the test away from the real project's ``venv/``, ``.sandbox/`` and stack files.
    """
    target.mkdir(parents=True, exist_ok=True)
    files = PROGRAM_FILES + (SANDBOX_FILES if with_sandbox else ())
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, target / name)
    for name in PROGRAM_DIRS:
        shutil.copytree(
            REPO_ROOT / name,
            target / name,
            ignore=shutil.ignore_patterns("__pycache__"),
            dirs_exist_ok=True,
        )
    if venv is not None:
        project_file = target / "Pulumi.yaml"
        text, count = re.subn(
            r"^(\s*virtualenv:\s*).*$", rf"\g<1>{venv}", project_file.read_text(), count=1, flags=re.MULTILINE
        )
        assert count == 1, "Pulumi.yaml no longer names runtime.options.virtualenv"
        project_file.write_text(text)
    return target
