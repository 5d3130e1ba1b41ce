"""Layer 6: the transition matrix's ``organization`` walk (bitmovin:tenantOrgId, bitmovin:apiKey rotated to
another key of the organization, existingBucketName, each set and unset) through the whole program
and the real engine.

The table, the walk and the invariants are in ``dev/support/transitions.py``; the other walks are in
``test_transitions_settings.py`` and ``test_transitions_moves.py`` (one module each, so that
``--dist loadfile`` plays them on parallel workers, each on a stack of its own).
"""

import pytest

from dev.support.engine import skip_without_engine
from dev.support.transitions import BY_NAME, WALK_STARTS, Edge, Walker, expected, walk

pytestmark = [pytest.mark.layer6, skip_without_engine()]

WALK = "organization"


def test_the_first_up_of_a_fresh_stack(walker: Walker):
    start = BY_NAME[WALK_STARTS[WALK]]
    problems = walker.step(start, expected(None, start))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("edge", walk(WALK), ids=str)
def test_a_transition_keeps_every_invariant(walker: Walker, edge: Edge):
    problems = walker.step(BY_NAME[edge.target], edge.outcome)
    assert not problems, "\n".join(problems)
