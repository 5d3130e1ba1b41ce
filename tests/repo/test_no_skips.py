"""Layer 1: the ``tests.no_skips`` plugin really fails a run that skipped something.

Each case runs pytest in a subprocess on a throw-away test file, with and without the plugin.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dev.support import REPO_ROOT

pytestmark = pytest.mark.layer1


CASES = {
    "skipif": (
        "import pytest\n"
        "pytestmark = pytest.mark.skipif(True, reason='no pulumi binary on PATH')\n"
        "def test_cli():\n    assert True\n"
    ),
    "skip_in_test": "import pytest\ndef test_cli():\n    pytest.skip('CLI missing')\n",
    "module_skip": "import pytest\npytest.skip('no CLI', allow_module_level=True)\n",
}


def run_pytest(tmp_path: Path, source: str, *extra: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_case.py").write_text(source)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *extra,
            str(tmp_path / "test_case.py"),
        ],
        cwd=REPO_ROOT,  # so that `tests.no_skips` is importable, as in CI
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("case", ["skipif", "skip_in_test", "module_skip"])
def test_a_skip_fails_the_run_and_says_why(tmp_path, case):
    without = run_pytest(tmp_path, CASES[case])
    # plain pytest: a skipped test is green; a skipped module leaves nothing collected (exit 5)
    assert without.returncode == (5 if case == "module_skip" else 0), without.stdout
    assert "does not allow" not in without.stdout
    result = run_pytest(tmp_path, CASES[case], "-p", "tests.no_skips")
    assert result.returncode == (5 if case == "module_skip" else 1), result.stdout
    assert "skipped, which this run does not allow" in result.stdout
    reason = {"skipif": "no pulumi binary on PATH", "skip_in_test": "CLI missing", "module_skip": "no CLI"}[
        case
    ]
    assert reason in result.stdout
