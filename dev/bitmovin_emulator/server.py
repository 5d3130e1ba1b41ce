"""Threaded HTTP server around ``EmulatorApp``, for tests (in-process) and the CLI.

``EmulatorServer`` is the handle other tests use: base URL, state, request log,
fault injection, options, ``reset()`` and ``close()``.
"""

import copy
import logging
import os
import threading
from collections.abc import Callable, Iterable

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import EmulatorApp
from .exports import ExportTasks
from .faults import Fault, FaultRegistry
from .options import EmulatorOptions
from .requestlog import RequestLog
from .state_file import StateFile
from .store import OutputStore

logger = logging.getLogger("dev.bitmovin_emulator.server")


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug handler whose per-request lines go to our DEBUG logger.

    Keeps stdout clean (the CLI's first stdout line is the base URL) and tests quiet;
    Werkzeug's error reports still go to the ``werkzeug`` logger.
    """

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug("%s %s -> %s", self.command, self.path, code)


class EmulatorServer:
    """A running emulator on ``host:port`` (port 0 = a free one); a context manager.

    ``api_keys`` is a shortcut for ``options.api_keys``. ``reset()`` restores the
    options given here (and forgets outputs, log and faults). ``state_file`` keeps the outputs
    in that JSON file and starts from what it holds (see ``state_file.StateFile``).
    """

    def __init__(
        self,
        options: EmulatorOptions | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_keys: Iterable[str] | None = None,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        initial = copy.deepcopy(options) if options is not None else EmulatorOptions()
        if api_keys is not None:
            initial.api_keys = frozenset(api_keys)
        self._initial_options = initial
        self._host = host
        self._port = port
        persisted = StateFile(state_file) if state_file is not None else None
        self.app = EmulatorApp(copy.deepcopy(initial), state_file=persisted)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "EmulatorServer":
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = make_server(
            self._host, self._port, self.app, threaded=True, request_handler=QuietRequestHandler
        )
        # Never wait for handler threads on close (one may sleep in a delay fault).
        server.block_on_close = False  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="bitmovin-emulator", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        self.app.wake_sleepers()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        """The bound port (resolves port 0)."""
        if self._server is None:
            raise RuntimeError("emulator not started")
        return self._server.server_port

    @property
    def base_url(self) -> str:
        """API base URL, e.g. ``http://127.0.0.1:43817/v1`` (what SDKs call ``base_url``)."""
        return f"http://{self._host}:{self.port}/v1"

    @property
    def options(self) -> EmulatorOptions:
        """Live options; change fields in place or assign a new ``EmulatorOptions``."""
        return self.app.options

    @options.setter
    def options(self, value: EmulatorOptions) -> None:
        self.app.options = value

    @property
    def outputs(self) -> OutputStore:
        """Stored outputs per organization (``.list(org_id)``, ``.get(id, org_id)``, ``.create(...)``)."""
        return self.app.store

    @property
    def exports(self) -> ExportTasks:
        """Analytics export tasks: ``.clock`` (replace it in tests), ``.step()``, ``.force_error(...)``."""
        return self.app.exports

    @property
    def requests(self) -> RequestLog:
        """The request log (``.count("create")``, ``.filter(...)``, ``.clear()``, indexing)."""
        return self.app.log

    @property
    def faults(self) -> FaultRegistry:
        """Active faults (iterable); prefer ``fail``/``delay``/``drop_connection`` to add them."""
        return self.app.faults

    def reset(self) -> None:
        """Forget outputs, request log and faults; restore the options given at construction."""
        self.app.reset(copy.deepcopy(self._initial_options))

    # Fault shortcuts: the registry's own methods, so their signatures are written once.

    @property
    def fail(self) -> Callable[..., Fault]:
        """Answer a status (e.g. 429, 500, 503) instead; see ``FaultRegistry.fail``."""
        return self.faults.fail

    @property
    def delay(self) -> Callable[..., Fault]:
        """Sleep before/after processing; see ``FaultRegistry.delay``."""
        return self.faults.delay

    @property
    def drop_connection(self) -> Callable[..., Fault]:
        """Close the socket without responding; see ``FaultRegistry.drop_connection``."""
        return self.faults.drop_connection

    def clear_faults(self) -> None:
        """Remove all faults."""
        self.faults.clear()


def start_emulator(
    options: EmulatorOptions | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    api_keys: Iterable[str] | None = None,
) -> EmulatorServer:
    """Create and start an ``EmulatorServer``; the caller must ``close()`` it."""
    return EmulatorServer(options, host=host, port=port, api_keys=api_keys).start()
