"""Layer 6: the transition matrix's ``settings`` walk (exportPrefix, outputName, kmsKeyArn,
retentionDays, each set and unset) through the whole program and the real engine.

The table, the walk and the invariants are in ``dev/support/transitions.py``; the other walks are in
``test_transitions_organization.py`` and ``test_transitions_moves.py`` (one module each, so that
``--dist loadfile`` plays them on parallel workers, each on a stack of its own).
"""

import pytest

from dev.support.engine import skip_without_engine
from dev.support.transitions import walk_tests

pytestmark = [pytest.mark.layer6, skip_without_engine()]

WALK = "settings"

test_the_first_up_of_a_fresh_stack, test_a_transition_keeps_every_invariant = walk_tests(WALK)
