"""Layer 1: the ``tests.no_skips`` plugin really fails a run that skipped something.

Each case runs pytest in-process (pytester) on a throw-away test file, with and without the plugin.
"""

from __future__ import annotations

import pytest

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


def run_pytest(pytester: pytest.Pytester, source: str, *extra: str) -> tuple[int, str]:
    """Exit status and output of pytest run in-process on ``source`` (pytester's isolated directory)."""
    pytester.makefile(".ini", pytest="[pytest]\n")
    pytester.makepyfile(test_case=source)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", *extra)
    return int(result.ret), result.stdout.str()


@pytest.mark.parametrize("case", ["skipif", "skip_in_test", "module_skip"])
def test_a_skip_fails_the_run_and_says_why(pytester, case):
    without, without_out = run_pytest(pytester, CASES[case])
    # plain pytest: a skipped test is green; a skipped module leaves nothing collected (exit 5)
    assert without == (5 if case == "module_skip" else 0), without_out
    assert "does not allow" not in without_out
    status, out = run_pytest(pytester, CASES[case], "-p", "tests.no_skips")
    assert status == (5 if case == "module_skip" else 1), out
    assert "skipped, which this run does not allow" in out
    reason = {"skipif": "no pulumi binary on PATH", "skip_in_test": "CLI missing", "module_skip": "no CLI"}[
        case
    ]
    assert reason in out
