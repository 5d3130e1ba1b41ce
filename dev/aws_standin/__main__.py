"""``python -m dev.aws_standin [ENGINE_ADDRESS]``: the stand-in plugin (launched by bin/pulumi-resource-aws).

With the engine's address it serves until the engine is gone; without one it serves for
``PULUMI_DEBUG_PROVIDERS="aws:<port>"`` (the port is its first line of output). Where the real plugin is
installed it runs that instead (``handover``).
"""

import os
import sys
from pathlib import Path

from dev.aws_standin.handover import real_plugin

BIN = Path(__file__).resolve().parent / "bin"

if __name__ == "__main__":
    real = real_plugin(os.environ, BIN)
    if real is not None:
        os.execv(real, [str(real), *sys.argv[1:]])  # noqa: S606 - the engine's arguments, unchanged
    from dev.aws_standin.server import main

    main(sys.argv[1:])
