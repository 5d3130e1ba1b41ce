"""What tests and scripts share: the provider as a stack configures it, the named emulator faults,
the catalogue of bad inputs and the closed loop against moto (``aws_loop``).

``tests/`` and ``scripts/`` both import from here: what a script needs belongs here, not in
``tests/``. Helpers only tests use live in ``tests/support.py``. The program and the provider never
import this package.
"""
