"""What tests and the dev tools share: the repository root, the provider as a stack configures it, the
named emulator faults, the catalogue of bad inputs, the closed loop against moto (``aws_loop``), and
the test harnesses (``program_harness``, ``host_harness``, ``sink_server``, ``iam_model``,
``expectations``, ``sandbox_support``, ``testing``).

``tests/`` holds only tests and their conftests; everything they run a scenario with lives here, so
the benchmarks in ``dev/`` use the same harnesses. The program and the provider never import this
package.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository root (the project directory ``pulumi up`` runs in)."""
