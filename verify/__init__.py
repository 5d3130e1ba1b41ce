"""``venv/bin/python -m verify``: prove that a deployed stack lets Bitmovin write its Analytics exports.

Reads the stack outputs (Automation API, or a saved ``pulumi stack output --json``), checks the Bitmovin
output and the AWS role and bucket read-only, and with ``--export`` runs a one-hour export task end to
end. Prints a checklist (✓ pass, ✗ fail with the fix, a dash for not checked) or JSON; exit status 1 on any ✗.
See ``docs/verify.md`` for every check, the AWS permissions it needs and what it costs.
"""
