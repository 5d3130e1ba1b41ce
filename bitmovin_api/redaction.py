"""The one mask for a secret value, wherever the product or its tools show one.

``[secret]`` is what the Pulumi CLI prints for a secret (``pulumi stack output``, ``pulumi config``),
so a user sees one spelling: in API errors, the emulator's request log, verify's and fleet's
output, and as the placeholder of a suggested ``pulumi config set --secret`` fix. The lowest layer
of the product (no imports), so every package can use it.
"""

SECRET_MASK = "[secret]"
