"""The real stacks: one Automation API ``LocalWorkspace`` over this project's own program.

Without a ``pulumi`` binary the Automation API fails with a bare ``FileNotFoundError`` as soon as a
workspace is created (it runs ``pulumi version``); that is turned into :class:`PulumiCliMissing`,
whose message says what is needed and where to get it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from fleet.errors import PulumiCliMissing
from fleet.runner import FleetStack

INSTALL_URL = "https://www.pulumi.com/docs/install/"


def cli_missing_message(detail: str = "no `pulumi` on PATH") -> str:
    return f"the Pulumi CLI is needed ({detail}); install it from {INSTALL_URL}"


class StackOpener(Protocol):
    """Opens a stack of the project by name, and says which stacks exist in the backend."""

    def __call__(self, name: str) -> FleetStack: ...

    def existing(self) -> set[str]:
        """The names of the project's stacks in the backend (``pulumi stack ls``), last segment only."""
        ...


class LocalStacks:
    """The stacks of the program in one directory, through one Automation API workspace."""

    def __init__(self, workspace: Any) -> None:
        self._workspace = workspace

    def __call__(self, name: str) -> FleetStack:
        from pulumi import automation as auto

        return auto.Stack.select(name, self._workspace)

    def existing(self) -> set[str]:
        # Pulumi Cloud may name a stack of another organization <organization>/<stack>.
        return {summary.name.rsplit("/", 1)[-1] for summary in self._workspace.list_stacks()}


def local_opener(project_dir: Path) -> StackOpener:
    """The stacks of the program in ``project_dir``; checks the CLI once, now."""
    from pulumi import automation as auto  # the Automation API only where the CLI is really used
    from pulumi.automation.errors import InvalidVersionError

    try:
        workspace = auto.LocalWorkspace(work_dir=str(project_dir))
    except FileNotFoundError as error:
        if Path(str(error.filename or "")).name not in ("pulumi", "pulumi.exe"):
            raise
        raise PulumiCliMissing(cli_missing_message()) from None
    except InvalidVersionError as error:
        raise PulumiCliMissing(cli_missing_message(f"found one that is too old: {error}")) from None
    return LocalStacks(workspace)
