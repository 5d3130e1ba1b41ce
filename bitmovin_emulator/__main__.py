"""Entry point of ``python -m bitmovin_emulator``; see ``cli``."""

from .cli import main

raise SystemExit(main())
