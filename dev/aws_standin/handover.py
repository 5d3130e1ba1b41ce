"""Never take the place of a real plugin: find one, so that the stand-in hands over to it.

The engine prefers a ``pulumi-resource-aws`` on PATH to its plugin cache (pulumi/pulumi
``sdk/go/common/workspace/plugins.go``, ``getPluginInfoAndPath``: project plugins, then PATH unless
``PULUMI_IGNORE_AMBIENT_PLUGINS``, then ``$PULUMI_HOME/plugins``). With ``dev/aws_standin/bin`` on
PATH it would start the stand-in even where the real plugin is installed, so the stand-in first looks
for the real one (in the plugin cache, then further along PATH) and ``exec``s it with the same arguments.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

PLUGIN = "pulumi-resource-aws"
_CACHED = re.compile(r"^resource-aws-v(\d+)\.(\d+)\.(\d+)$")
MAJOR = 7  # pulumi-aws v7, the SDK the program uses


def real_plugin(environ: Mapping[str, str], own_dir: Path) -> Path | None:
    """The real plugin the engine would otherwise have used, or None."""
    home = Path(environ.get("PULUMI_HOME") or Path(environ.get("HOME", "~")).expanduser() / ".pulumi")
    cached = _newest_cached(home / "plugins")
    if cached is not None:
        return cached
    for entry in environ.get("PATH", "").split(os.pathsep):
        if not entry or Path(entry) == own_dir:
            continue
        found = shutil.which(PLUGIN, path=entry)
        if found is not None and not _is_standin(Path(found)):
            return Path(found)
    return None


def _newest_cached(plugins: Path) -> Path | None:
    if not plugins.is_dir():
        return None
    versions = []
    for entry in plugins.iterdir():
        match = _CACHED.match(entry.name)
        executable = entry / PLUGIN
        # An install still in progress leaves a `<dir>.partial` marker beside the directory.
        complete = not (plugins / f"{entry.name}.partial").exists()
        if match and int(match[1]) == MAJOR and os.access(executable, os.X_OK) and complete:
            versions.append((tuple(int(part) for part in match.groups()), executable))
    return max(versions)[1] if versions else None


def _is_standin(path: Path) -> bool:
    """A copy of this launcher (another checkout of the project) is not a real plugin."""
    try:
        return b"dev.aws_standin" in path.read_bytes()[:4096]
    except OSError:
        return False
