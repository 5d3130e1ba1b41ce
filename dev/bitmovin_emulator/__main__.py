"""Entry point of ``python -m dev.bitmovin_emulator``; see ``cli``."""

from .cli import main

raise SystemExit(main())
