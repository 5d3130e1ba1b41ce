"""pytest plugin: a run in which any test or module was skipped fails.

For CI jobs whose tests must run for real, e.g. the layer-6 job that installs the Pulumi CLI:

    python -m pytest -m layer6 -p tests.no_skips

Without it, a missing CLI would make the CLI-level tests skip and the job pass green. Skips stay
visible with their reasons, listed in their own summary section, and the exit status becomes 1.
"""

from __future__ import annotations

from typing import Any

import pytest


class NoSkips:
    """Collects every skip (collection or test phase) and turns a green run red if there was one."""

    def __init__(self) -> None:
        self.skipped: list[str] = []

    def _record(self, report: pytest.CollectReport | pytest.TestReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail"):
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.skipped.append(f"{report.nodeid or '<collection>'}: {reason}")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._record(report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._record(report)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.skipped and exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.skipped:
            terminalreporter.section("skipped, which this run does not allow (tests.no_skips)", red=True)
            for line in self.skipped:
                terminalreporter.line(line, red=True)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(NoSkips(), "no-skips")
