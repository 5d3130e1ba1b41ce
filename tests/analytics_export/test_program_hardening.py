"""Layer 4: every bad stack-config value of the catalogue stops ``__main__.py`` before any resource.

The program runs under Pulumi mocks exactly as ``pulumi up`` runs it (dev/support/program_harness.py). The
catalogue's stack-config cases (dev/support/bad_inputs.py) are packed into a few runs, each key at most
once per run, so every case is proven with few subprocesses: the run fails with
"Invalid stack configuration", names the key, and registers no resource and makes no invoke (so no
AWS or Bitmovin request could follow).
"""

from __future__ import annotations

import functools

import pytest

from dev.support.bad_inputs import BASE_STACK_CONFIG, CASES, BadInput
from dev.support.program_harness import ProgramRun, run_program

pytestmark = pytest.mark.layer4

API_KEY_MARKER = "bmv-API-KEY-MARKER-hardening"
# A bad aws:region hides the checks that need the region; those cases run without it in the group.
NEEDS_REGION = {"kmsKeyArn", "bitmovinPrincipalArn"}


def _keys(case: BadInput) -> set[str]:
    return {case.key, *case.extra}


def _groups() -> list[list[BadInput]]:
    """Greedy packing: no key (or extra key) twice in a group; region cases apart from region users."""
    groups: list[list[BadInput]] = []
    for case in (c for c in CASES if c.kind == "stack config"):
        for group in groups:
            used = set().union(*(_keys(c) for c in group))
            region_clash = (case.key == "aws:region" and used & NEEDS_REGION) or (
                case.key in NEEDS_REGION and "aws:region" in used
            )
            if not (_keys(case) & used) and not region_clash:
                group.append(case)
                break
        else:
            groups.append([case])
    return groups


GROUPS = _groups()


@functools.cache
def group_run(index: int) -> ProgramRun:
    config = {**BASE_STACK_CONFIG, "bitmovin:apiKey": API_KEY_MARKER}
    for case in GROUPS[index]:
        config.update({**case.extra, case.key: case.value})
    return run_program(config, secret_keys=tuple(case.key for case in GROUPS[index] if case.secret))


def test_every_stack_config_case_is_in_a_group():
    packed = [case for group in GROUPS for case in group]
    assert sorted(packed, key=CASES.index) == [c for c in CASES if c.kind == "stack config"]
    assert len(GROUPS) < len(packed) / 3  # the packing is what keeps this layer cheap


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.kind == "stack config"],
    ids=lambda c: f"{c.key}-{c.why}".replace(" ", "_"),
)
def test_bad_value_registers_no_resource_and_makes_no_request(case):
    index = next(i for i, group in enumerate(GROUPS) if case in group)
    run = group_run(index)
    assert run.error_type == "RunError", run.error
    assert run.error.startswith("Invalid stack configuration")
    assert f"  - {case.key}: " in run.error
    assert run.resources == []
    assert run.calls == []
    assert API_KEY_MARKER not in run.error
    if case.secret:
        assert case.value not in run.error
