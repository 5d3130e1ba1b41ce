"""Local and development tooling: the Bitmovin API emulator, the sandbox, benchmarks and the harnesses
tests and benchmarks share. Nothing here is imported by the product (``__main__.py``,
``analytics_export/``, ``providers/``, ``bitmovin_api/``)."""
