"""Layer 2: ``iter_outputs`` ends against a server that ignores ``offset`` and omits ``totalCount``
(issue 22, item 11), over real HTTP from a misbehaving local server."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bitmovin_api import client as client_module
from bitmovin_api.client import MAX_PAGE_SIZE, BitmovinClient
from bitmovin_api.errors import BitmovinApiError
from bitmovin_api.http_policy import HttpPolicy

pytestmark = pytest.mark.layer2

KEY = "list-bounds-key-48c2"


def serve(page: Callable[[], list[dict[str, Any]]]) -> Iterator[tuple[str, list[str]]]:
    """A server answering every list with a full page of ``page()``'s items and no ``totalCount``."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            paths.append(self.path)
            body = json.dumps({"status": "SUCCESS", "data": {"result": {"items": page()}}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", paths
    finally:
        server.shutdown()
        server.server_close()


def client(base_url: str) -> BitmovinClient:
    return BitmovinClient(KEY, base_url=base_url, http=HttpPolicy(max_retries=0))


@pytest.fixture
def same_page_forever() -> Iterator[tuple[str, list[str]]]:
    items = [{"id": f"00000000-0000-4000-8000-{n:012d}", "name": f"o{n}"} for n in range(MAX_PAGE_SIZE)]
    yield from serve(lambda: items)


@pytest.fixture
def new_items_forever() -> Iterator[tuple[str, list[str]]]:
    counter = itertools.count()
    yield from serve(lambda: [{"id": f"id-{next(counter)}"} for _ in range(MAX_PAGE_SIZE)])


def test_a_server_that_ignores_offset_is_refused_at_the_first_repeated_page(same_page_forever):
    base_url, paths = same_page_forever
    with pytest.raises(BitmovinApiError) as stopped:
        list(itertools.islice(client(base_url).iter_outputs(), 20 * MAX_PAGE_SIZE))  # unbounded: 20 pages
    assert len(paths) == 2
    assert "repeats outputs already listed" in str(stopped.value)
    assert "ignores `offset`" in str(stopped.value)
    assert "bitmovin:apiUrl" in str(stopped.value)
    assert KEY not in str(stopped.value)


def test_a_listing_that_never_ends_stops_after_the_page_limit(new_items_forever):
    base_url, paths = new_items_forever
    with pytest.raises(BitmovinApiError, match="did not end within 5 pages of 100"):
        list(client(base_url).iter_outputs(max_pages=5))
    assert len(paths) == 5
    # The default still lists 100,000 outputs, and no more.
    assert 1_000 <= client_module.MAX_LIST_PAGES <= 10_000
