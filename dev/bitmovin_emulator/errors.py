"""The emulator's exceptions, in one place.

    Exception
    ├── StateFileError          the state file cannot be used (names the file and how to recover)
    │   └── StateWriteError     writing it failed: the change it carried was not made
    └── AwsRefusal              AWS (or the emulated trust evaluation) refused one call of an export

What the emulated API answers with (Bitmovin ``ERROR`` envelopes) is data, not an exception: see
``envelopes``.
"""

from __future__ import annotations

from pathlib import Path


class StateFileError(Exception):
    """The state file cannot be used; the message names the file and how to recover."""


class StateWriteError(StateFileError):
    """Writing the state file failed: the change it carried was not made (see ``OutputStore``)."""

    def __init__(self, path: Path, cause: OSError) -> None:
        reason = cause.strerror or str(cause) or type(cause).__name__
        super().__init__(f"emulator state file {path} could not be written ({reason}); nothing was changed")
        self.path = path


class AwsRefusal(Exception):
    """AWS (or the emulated trust evaluation) refused one call of an export."""

    def __init__(
        self, service: str, operation: str, code: str, message: str, diagnosis: str | None = None
    ) -> None:
        super().__init__(f"{service}:{operation} {code}: {message}")
        self.service = service
        self.operation = operation
        self.code = code
        self.message = message
        self.diagnosis = diagnosis

    def as_error(self) -> dict[str, str]:
        """The ``error`` field of an ERROR export task."""
        error = {
            "code": self.code,
            "message": self.message,
            "service": self.service,
            "operation": self.operation,
        }
        if self.diagnosis:
            error["diagnosis"] = self.diagnosis
        return error
