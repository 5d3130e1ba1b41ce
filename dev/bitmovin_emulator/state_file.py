"""The emulator's state in a JSON file, so that a restarted emulator still knows its outputs.

The local sandbox starts the emulator with ``--state-file``: Pulumi's state then keeps matching the
emulator across a restart between ``up`` and ``down``. Every write is atomic (a temporary file in the
same directory, flushed to disk, then ``os.replace``): a kill during a write leaves the previous
file, never a half-written one. The store writes a change before it serves it (``OutputStore``): a
failed write answers 500 and changes nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import StateFileError

FORMAT_VERSION = 1


class StateFile:
    """One JSON file holding a snapshot: ``{"version": 1, ...snapshot keys}``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"StateFile({str(self.path)!r})"

    def load(self) -> dict[str, Any] | None:
        """The stored snapshot (without ``version``), or None when the file does not exist yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise self.error(f"cannot be read ({error.strerror})") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise self.error("is not valid JSON") from None
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise self.error(f"is not an emulator state file of format version {FORMAT_VERSION}")
        return {key: value for key, value in data.items() if key != "version"}

    def save(self, snapshot: Mapping[str, Any]) -> None:
        """Replace the file with ``snapshot`` in one step."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": FORMAT_VERSION, **snapshot}, indent=2, sort_keys=True)
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, before the rename
            "w",
            encoding="utf-8",
            dir=self.path.parent,
            prefix=f".{self.path.name}.",
            suffix=".tmp",
            delete=False,
        )
        try:
            with handle:
                handle.write(text + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(handle.name)
            raise

    def error(self, problem: str) -> StateFileError:
        """A ``StateFileError`` saying what is wrong with this file and how to start over."""
        return StateFileError(
            f"emulator state file {self.path} {problem}; move or delete it to start with no outputs"
        )
