"""verify's exceptions, in one place.

    Exception
    └── StackError      the stack's outputs or config cannot be read or are incomplete

A check that finds a problem reports it as a finding, not as an exception; a failed call to
Bitmovin is ``bitmovin_api.errors.BitmovinApiError`` (the client's), and AWS's are botocore's.
"""


class StackError(Exception):
    """The stack's outputs or config cannot be read or are incomplete; the message says how to fix it."""
