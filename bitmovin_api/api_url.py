"""The one rule for ``bitmovin:apiUrl``: where the provider may send the API key.

Every request carries ``X-Api-Key``, so the base URL decides who receives the key. It is parsed
(never matched as a string prefix, which ``http://localhost.evil.example`` or
``http://localhost@evil.example`` would pass) and accepted only when:

- the scheme is ``https``, or ``http`` with a host that is exactly ``localhost``, an IPv4 loopback
  address (127.0.0.0/8) or ``[::1]`` (a local emulator);
- it has no user info (``user:password@``), no query and no fragment: nothing but the key header
  may carry credentials, and Bitmovin also accepts the key as a query parameter, which would then
  travel in logs and redirects;
- its path ends with the API version segment ``/v1`` (``https://api.bitmovin.com/v1``, or a
  gateway prefix such as ``https://gateway.example/bitmovin/v1``). Without it every request lands on
  a path the API does not serve, and its 404 must never be mistaken for "output deleted".

:func:`display_url` renders a URL for messages without user info or query, so a password or a key
pasted into the URL is never echoed.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

API_VERSION_SEGMENT = "v1"
DEFAULT_API_URL = "https://api.bitmovin.com/v1"
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_MAX_SHOWN = 120


def api_url_problem(url: str) -> str | None:
    """Why ``url`` may not receive the API key, or None when it may."""
    if not url.isascii() or not url.isprintable() or any(c.isspace() for c in url):
        return "must be a plain URL without spaces, control or non-ASCII characters"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number in 0..65535
    except ValueError:
        return "is not a valid URL"
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        return "must be an https:// URL"
    if "@" in parts.netloc:
        return "must not contain user info (user:password@): the API key is the only credential sent"
    if "?" in url or "#" in url:
        return "must not contain a query or a fragment (?... or #...): never put the API key into the URL"
    host = parts.hostname or ""
    if not host or not _valid_host(host) or parts.netloc.lower() != _netloc(host, port):
        # The last test catches what one parser reads differently from another, e.g.
        # "[::1].evil.example" (urllib.parse sees host ::1) or an empty port ("host:").
        return "has no valid host name"
    if port == 0:
        return "has an invalid port"
    if scheme == "http" and not is_loopback_host(host):
        return (
            "must be an https:// URL; plain http is allowed only for a local emulator on exactly "
            "localhost, 127.0.0.0/8 or [::1]"
        )
    return _path_problem(parts)


def is_loopback_host(host: str) -> bool:
    """Exactly ``localhost``, an IPv4 address in 127.0.0.0/8 or the IPv6 address ``::1``."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.version == 4:
        return address.is_loopback
    return address == ipaddress.IPv6Address("::1")


def _netloc(host: str, port: int | None) -> str:
    bracketed = f"[{host}]" if ":" in host else host
    return bracketed if port is None else f"{bracketed}:{port}"


def _valid_host(host: str) -> bool:
    if "%" in host:  # an IPv6 zone id: local-link addressing, never the API
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return len(host) <= 253 and _HOST_NAME.fullmatch(host) is not None
    return True


def _path_problem(parts: SplitResult) -> str | None:
    path = parts.path[:-1] if parts.path.endswith("/") else parts.path
    segments = path.split("/")[1:] if path.startswith("/") else []
    if not segments or segments[-1] != API_VERSION_SEGMENT:
        return (
            f"must end with the API version path /{API_VERSION_SEGMENT} "
            f"(for example {DEFAULT_API_URL}); got the path {parts.path or '(none)'!r}"
        )
    if any(s in ("", ".", "..") or not _PATH_SEGMENT.fullmatch(s) for s in segments):
        return "has an unusable path: only letters, digits and ._~- between single slashes, no . or .."
    return None


def display_url(url: str) -> str:
    """``url`` for messages: scheme, host, port and path only; user info and query are dropped."""
    if not url.isascii() or not url.isprintable():
        return repr(url[:_MAX_SHOWN]) + ("..." if len(url) > _MAX_SHOWN else "")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "'<not a valid URL>'"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    shown = f"{parts.scheme}://{host}{f':{port}' if port is not None else ''}{parts.path}"
    notes = [
        note
        for note, present in (
            ("user info removed", "@" in parts.netloc),
            ("query removed", bool(parts.query) or "?" in url),
            ("fragment removed", bool(parts.fragment) or "#" in url),
        )
        if present
    ]
    if len(shown) > _MAX_SHOWN:
        shown = shown[:_MAX_SHOWN] + "..."
    return repr(shown) + (f" ({', '.join(notes)})" if notes else "")
