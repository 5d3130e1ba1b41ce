"""Every exception ``analytics_export`` raises for bad input, in one place.

    ValueError
    └── AnalyticsExportError      bad input to this package; catch it to catch them all
        ├── ConfigError           the stack config: every bad key at once, each with its fix command
        ├── ArgsError             BitmovinAnalyticsExportArgs built with bad values (field names)
        └── ProjectFileError      Pulumi.yaml declares a config key the program cannot use

They derive from ``ValueError`` because bad input is what they report, so code (and tests) that
catch ``ValueError`` keep working. A plain ``ValueError`` elsewhere in the package (a naming budget
too small, a policy built without its region) is a programming error, not a user's input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analytics_export.config_problems import ConfigProblem


class AnalyticsExportError(ValueError):
    """Bad input to ``analytics_export``."""


class ConfigError(AnalyticsExportError):
    """Every bad stack config key at once, each with the command that fixes it."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = [f"Invalid stack configuration ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))

    @property
    def keys(self) -> list[str]:
        return [problem.key for problem in self.problems]


class ArgsError(AnalyticsExportError):
    """Every bad plain value of a ``BitmovinAnalyticsExportArgs``, named by its field."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("Invalid BitmovinAnalyticsExportArgs: " + "; ".join(self.problems))


class ProjectFileError(AnalyticsExportError):
    """``Pulumi.yaml`` declares a config key the program cannot read."""
