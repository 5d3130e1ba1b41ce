"""Every exception the providers raise, in one place (the provider host shows their messages).

    Exception
    └── ProviderError                  a provider refuses or fails an operation
        ├── ProviderConfigError        no usable configuration (API key, API URL, HTTP policy)
        ├── AdoptionError              an output to take over (``adopt_output_id``, creation token) contradicts the inputs
        ├── InPlaceUpdateError         an update was asked for; outputs can only be replaced
        ├── ReferencedOutputError      the output ``existing_output_id`` names cannot be used
        ├── OutputSwitchError          a reference would replace an output the stack owns
        └── CreateFailedError          nothing was created, or the outcome could not be confirmed
            └── OrganizationError      nothing was created: the organization to hold it cannot be recorded

A failed HTTP call is ``bitmovin_api.errors.BitmovinApiError`` (the client's one exception); the
providers let it through unless they can say more (``ReferencedOutputError``, ``CreateFailedError``).
The classes are imported back where they are raised (``providers.analytics_output`` re-exports
``ProviderConfigError`` too), so existing imports keep working.
"""


class ProviderError(Exception):
    """A Bitmovin dynamic provider of this project refused or failed an operation."""


class ProviderConfigError(ProviderError):
    """The provider cannot talk to Bitmovin with the configuration it was given."""


class AdoptionError(ProviderError):
    """An existing output to take over (named by ``adopt_output_id``, or carrying the resource's creation
    token) contradicts the inputs."""


class InPlaceUpdateError(ProviderError):
    """Bitmovin outputs are immutable; a real change must be a replacement."""


class ReferencedOutputError(ProviderError):
    """The referenced output cannot be used: not found, not accessible, or without an external ID."""


class OutputSwitchError(ProviderError):
    """A reference took the place of an output the stack owns, naming another output: the engine would
    delete the owned one."""


class CreateFailedError(ProviderError):
    """The output was not created (or could not be confirmed); the message says which."""


class OrganizationError(CreateFailedError):
    """Without ``tenant_org_id``, the API key's account (which names the output's organization) is unknown."""
