"""Local emulator of the Bitmovin Analytics API (S3 role-based outputs and export tasks).

Faithful to ``docs/bitmovin-api.md`` (the contract); its UNCONFIRMED points
(``docs/bitmovin-api.md#unconfirmed-points``) are switchable through ``EmulatorOptions``. In tests::

    with EmulatorServer() as emulator:
        requests.get(emulator.base_url + "/analytics/outputs/s3-role-based", headers={"X-Api-Key": "k"})

From a shell: ``python -m dev.bitmovin_emulator --port 0`` prints the base URL first.
"""

from .app import EmulatorApp
from .export_options import AwsActorConfig, ExportOptions
from .exports import ExportTasks
from .faults import Fault, FaultRegistry
from .options import DEFAULT_ORG_ID, EmulatorOptions
from .requestlog import RequestLog, RequestRecord
from .server import EmulatorServer, start_emulator
from .store import OutputStore

__all__ = [
    "DEFAULT_ORG_ID",
    "AwsActorConfig",
    "EmulatorApp",
    "EmulatorOptions",
    "EmulatorServer",
    "ExportOptions",
    "ExportTasks",
    "Fault",
    "FaultRegistry",
    "OutputStore",
    "RequestLog",
    "RequestRecord",
    "start_emulator",
]
