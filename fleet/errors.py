"""fleet's exceptions, in one place; each message is one line for the user.

    ValueError
    ├── UsageError          bad command-line arguments
    └── StackFileError      a ``Pulumi.<stack>.yaml`` that cannot be read as a stack file
    RuntimeError
    └── PulumiCliMissing    no usable Pulumi CLI

A failed stack operation is not an exception here: ``fleet.runner`` records it as that stack's
outcome (the Automation API's errors are caught there) and goes on with the other stacks.
"""


class UsageError(ValueError):
    """Bad arguments; the message says what to do instead."""


class StackFileError(ValueError):
    """A ``Pulumi.<stack>.yaml`` that cannot be read as a stack file."""


class PulumiCliMissing(RuntimeError):
    """No usable Pulumi CLI; the message is one line for the user."""
