"""Entry point: ``python -m fleet <preview|up|refresh|outputs> [stack ...]``."""

import sys

from fleet.cli import main

sys.exit(main())
