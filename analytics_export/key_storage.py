"""Refuse a Bitmovin API key stored in plain text, before anything is deployed.

Pulumi hands a dynamic provider the *whole* stack config and records it in the state as the
inputs and outputs of the default ``pulumi:providers:pulumi-python`` provider resource; secret
config values stay secrets there (ciphertext), plain ones are written in clear (see README, "Where
the API key is stored"). So a ``bitmovin:apiKey`` set without ``--secret`` would sit in plain text
in ``Pulumi.<stack>.yaml`` *and* in every checkpoint of the state. The program checks only whether
the key is set and whether it is a secret; it never reads its value.
"""

from __future__ import annotations

from analytics_export.config_problems import ConfigProblem
from analytics_export.settings import API_KEY_KEY

PLAINTEXT_API_KEY = ConfigProblem(
    API_KEY_KEY,
    "is set without --secret, so it is stored in plain text in Pulumi.<stack>.yaml and, as part of "
    "the config Pulumi records for the dynamic provider, in the stack's state. Store it encrypted "
    "(the command below re-saves the current value without showing it); if a `pulumi up` already "
    "ran with it, also rotate the key, because earlier checkpoints keep the plain value",
    f'pulumi config set --secret {API_KEY_KEY} "$(pulumi config get {API_KEY_KEY})"',
)


def api_key_storage_problems(configured: bool, secret: bool) -> list[ConfigProblem]:
    """``configured``: ``bitmovin:apiKey`` is in the stack config; ``secret``: it is a secret there."""
    return [PLAINTEXT_API_KEY] if configured and not secret else []


def running_stack_problems() -> list[ConfigProblem]:
    """The check for the running stack: looks at the key's presence and secrecy, never its value."""
    import pulumi.runtime
    from pulumi.runtime import config as runtime_config

    configured = API_KEY_KEY in runtime_config.CONFIG.get() or API_KEY_KEY in pulumi.runtime.get_config_env()
    secret = pulumi.runtime.is_config_secret(API_KEY_KEY) or API_KEY_KEY in set(
        pulumi.runtime.get_config_secret_keys_env()
    )
    return api_key_storage_problems(configured, secret)
