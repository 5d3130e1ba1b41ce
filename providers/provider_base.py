"""What every Bitmovin dynamic provider of this project needs: its configuration and an HTTP client.

The configuration comes from ``configure()`` (stack config such as ``bitmovin:apiKey``) or,
without it, from the environment. Nothing is kept on the instance when it is pickled into state
(``__getstate__``), so neither the API key nor a session can reach the serialized provider; both are
created in the provider host, on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from providers.errors import ProviderConfigError
from providers.provider_config import ProviderConfig, check_problems, resolve

if TYPE_CHECKING:  # imported when a client is built: check and diff never need requests
    import requests

    from bitmovin_api.client import BitmovinClient


class BitmovinProviderBase(ResourceProvider):
    """Configuration, lazy session and per-organization clients for a Bitmovin dynamic provider."""

    _config: ProviderConfig | None = None  # set by configure(), in the provider host
    _session: requests.Session | None = None  # created on first use, in the provider host
    # One client per organization, kept while the configuration holds: a client remembers what it
    # learnt once (the key's account, ``BitmovinClient.key_account_id``) for the provider process.
    _clients: dict[str | None, BitmovinClient] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def configure(self, req: ConfigureRequest) -> None:
        # Config offers only get(); the keys it holds (the whole stack config) are its _props.
        configured = getattr(req.config, "_props", None)
        self._config = resolve(
            req.config.get, configured_keys=configured if isinstance(configured, dict) else ()
        )
        self._session = None
        self._clients = None

    def _resolved_config(self) -> ProviderConfig:
        """The provider configuration (``bitmovin:*`` provider config or environment), resolved once."""
        if self._config is None:  # called without configure(): environment only
            self._config = resolve(lambda _key: None)
        return self._config

    def _config_problems(self) -> list[str]:
        """What ``check`` reports about the configuration (e.g. no API key; a missing key is tolerated
        in a preview without key, see ``provider_config.check_problems``)."""
        return check_problems(self._resolved_config())

    def _client(self, tenant_org_id: str | None) -> BitmovinClient:
        """The client acting in ``tenant_org_id`` (None: the API key's own organization). Refuses on
        every configuration problem, a missing key included, in previews too."""
        problems = list(self._resolved_config().problems)
        if problems:
            raise ProviderConfigError(" ".join(problems))
        from bitmovin_api.client import BitmovinClient
        from bitmovin_api.http_session import build_session

        config = self._resolved_config()
        if self._session is None:
            self._session = build_session(config.http)
        if self._clients is None:
            self._clients = {}
        client = self._clients.get(tenant_org_id)
        if client is None:
            client = self._clients[tenant_org_id] = BitmovinClient(
                config.api_key or "",
                base_url=config.api_url,
                tenant_org_id=tenant_org_id,
                http=config.http,
                session=self._session,
            )
        return client
