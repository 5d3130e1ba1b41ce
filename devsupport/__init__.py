"""What tests and scripts share: the provider as a stack configures it, and the named emulator faults.

``tests/`` and ``scripts/`` both import from here (scripts never import from ``tests/``); helpers
only tests use live in ``tests/support.py``. The program and the provider never import this package.
"""
