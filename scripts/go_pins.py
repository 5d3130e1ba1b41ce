"""The Go environment ``scripts/engine`` and ``scripts/actionlint`` build in, the key of their caches,
and the check of a cached binary against the pins. Standard library only (it runs before any venv).

    python3 -S scripts/go_pins.py prepare FILE...   # line 1: the cache key; then NAME=value lines: the
                                                     # environment every go command of the script gets
    env -i <that environment> python3 -S scripts/go_pins.py check --binary BINARY MODULE_DIR PACKAGE TAGS ...
                                                     # exit 1 and one line on stdout if one is not as pinned

Why: what ``go build`` produces depends on more than go.mod and go.sum. A ``go.work`` in the checkout or
any parent directory (or ``GOWORK``) swaps modules for local directories; ``GOFLAGS`` adds flags
(``-mod=mod``, ``-tags``, ``-ldflags``, ``-overlay``); ``GOTOOLCHAIN`` picks another compiler; the go env
file (``GOENV``) sets any of them; ``GOOS``/``GOARCH``, ``CGO_ENABLED`` and ``GOEXPERIMENT`` change the
binary. A cache keyed on the go.mod files alone hands whatever one such build produced to every later
run. So every go command runs in an environment built here from nothing (``env -i``): the build
settings are pinned, and only where modules come from (proxy, checksum database, caches, HTTP proxy,
certificates) is taken from the machine. The key covers the files that decide the binary plus the go
version and the pinned settings, and a cached binary is used only if ``go version -m`` shows exactly
the pinned module versions (with go.sum's checksums), the pinned main package and the pinned build
settings.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

# Pinned for every go command: no workspace, no go env file, no flags but -mod=readonly, the installed
# toolchain, no cgo.
PINNED = {
    "GOENV": "off",
    "GOWORK": "off",
    "GOFLAGS": "-mod=readonly",
    "GOTOOLCHAIN": "local",
    "CGO_ENABLED": "0",
}
# Where modules come from, as the machine's go (its go env file included) has them: these decide only
# how the sources are fetched and where they are kept, never their contents (go.sum checks those).
FETCH_SETTINGS = (
    "GOPROXY",
    "GONOPROXY",
    "GOPRIVATE",
    "GOSUMDB",
    "GONOSUMDB",
    "GOINSECURE",
    "GOVCS",
    "GOAUTH",
    "GOPATH",
    "GOMODCACHE",
    "GOCACHE",
    "GOTMPDIR",
)
# Passed through from the caller: finding programs, the home directory, temporary files, the network.
PASSED = (
    "PATH",
    "HOME",
    "TMPDIR",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "all_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NETRC",
)
# The settings that decide the binary, read back from go in the pinned environment for the key.
BUILD_SETTINGS = (
    "GOVERSION",
    "GOOS",
    "GOARCH",
    "GOAMD64",
    "GOARM",
    "GOARM64",
    "GO386",
    "GOMIPS",
    "GOMIPS64",
    "GOPPC64",
    "GORISCV64",
    "GOWASM",
    "GOEXPERIMENT",
    "GOFIPS140",
    *PINNED,
)
ARCH_LEVELS = frozenset(BUILD_SETTINGS[3:12])
# How the machine's own go is asked about its fetch settings: no toolchain switch, no workspace.
_SAFE_QUERY = {"GOTOOLCHAIN": "local", "GOWORK": "off", "GOFLAGS": ""}


class PinError(Exception):
    """Why a build or a cached binary does not meet the pins; one line."""


def _go(args: list[str], env: dict[str, str]) -> str:
    # go is found on PATH, as the shell scripts find it.
    result = subprocess.run(["go", *args], env=env, capture_output=True, text=True, check=False)  # noqa: S607
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise PinError(f"`go {' '.join(args)}` failed: {reason}")
    return result.stdout


def _go_env(names: tuple[str, ...] | list[str], env: dict[str, str]) -> dict[str, str]:
    values = json.loads(_go(["env", "-json", *names], env) or "{}")
    return {name: str(values.get(name) or "") for name in names}


def pinned_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of every go command the scripts run."""
    environ = dict(os.environ if environ is None else environ)
    # Ask the machine's go (its go env file included) where modules come from, without letting a
    # GOTOOLCHAIN or GOWORK of the caller switch toolchains or read a workspace while asking.
    machine = _go_env([*FETCH_SETTINGS, "GOHOSTOS", "GOHOSTARCH"], {**environ, **_SAFE_QUERY})
    env = {name: environ[name] for name in PASSED if environ.get(name)}
    env |= {name: value for name, value in machine.items() if value and name in FETCH_SETTINGS}
    env |= PINNED
    env |= {"GOOS": machine["GOHOSTOS"], "GOARCH": machine["GOHOSTARCH"]}
    for name, value in env.items():
        if "\n" in value or "\0" in value:
            raise PinError(f"{name} holds a newline; it cannot be passed on")
    return env


# -- go.mod and go.sum ------------------------------------------------------------------------------


def _directives(text: str, verb: str) -> list[list[str]]:
    """The fields of every ``verb`` line of a go.mod, in block or single-line form, comments dropped."""
    found, block = [], False
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if block:
            if line == ")":
                block = False
            elif line:
                found.append(line.split())
        elif line == f"{verb} (":
            block = True
        elif line.startswith(f"{verb} "):
            found.append(line[len(verb) :].split())
    return found


def requirements(go_mod: str) -> dict[str, str]:
    """Module path -> the version go.mod requires."""
    return {fields[0]: fields[1] for fields in _directives(go_mod, "require") if len(fields) >= 2}


def replacements(go_mod: str) -> dict[tuple[str, str], tuple[str, str]]:
    """``(path, version or "")`` -> ``(new path, new version or "")``; no version: a directory."""
    found = {}
    for fields in _directives(go_mod, "replace"):
        if "=>" not in fields:
            continue
        arrow = fields.index("=>")
        old, new = fields[:arrow], fields[arrow + 1 :]
        found[(old[0], old[1] if len(old) > 1 else "")] = (new[0], new[1] if len(new) > 1 else "")
    return found


def directory_replacements(go_mod: str) -> list[str]:
    """``old => dir`` for every replace by a directory: its files decide the build but no key covers them."""
    return [f"{old} => {new}" for (old, _), (new, version) in replacements(go_mod).items() if not version]


def checksums(go_sum: str) -> dict[tuple[str, str], str]:
    """``(path, version)`` -> the ``h1:`` checksum of the module's files (not of its go.mod)."""
    found = {}
    for line in go_sum.splitlines():
        fields = line.split()
        if len(fields) == 3 and not fields[1].endswith("/go.mod"):
            found[(fields[0], fields[1])] = fields[2]
    return found


# -- the key --------------------------------------------------------------------------------------


def cache_key(files: list[Path], env: dict[str, str]) -> str:
    """16 hex digits over the files' contents, the go version and the pinned build settings.

    Refuses a go.mod that replaces a module by a directory: that build depends on files outside the key.
    """
    digest = hashlib.sha256()
    for path in files:
        text = path.read_bytes()
        if path.name == "go.mod" and (local := directory_replacements(text.decode())):
            raise PinError(
                f"{path} replaces {local[0]} (a directory): its files would decide the build without being "
                "part of the pins; replace it with a module version (and its go.sum lines) instead"
            )
        digest.update(f"{path.name}\0{len(text)}\0".encode() + text)
    settings = _go_env(BUILD_SETTINGS, env)
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:16]


# -- the check of a binary -------------------------------------------------------------------------


def binary_problem(
    binary: Path, module_dir: Path, package: str, tags: str, env: dict[str, str], wanted: dict[str, str]
) -> str | None:
    """Why ``binary`` is not what the pins build from ``module_dir``, or None. ``env`` is the pinned
    environment, ``wanted`` its ``BUILD_SETTINGS`` as go reports them."""
    try:
        info = json.loads(_go(["version", "-m", "-json", str(binary)], env))
    except (PinError, ValueError) as error:
        return f"its Go build information cannot be read ({error})"
    go_mod = (module_dir / "go.mod").read_text(encoding="utf-8")
    sums = checksums((module_dir / "go.sum").read_text(encoding="utf-8"))
    if info.get("GoVersion") != wanted["GOVERSION"]:
        return f"it was built by {info.get('GoVersion')}, not {wanted['GOVERSION']}"
    if info.get("Path") != package:
        return f"it is {info.get('Path')}, not {package}"
    return _modules_problem(
        info, requirements(go_mod), replacements(go_mod), sums, package
    ) or _settings_problem(info.get("Settings") or [], tags, wanted)


def _modules_problem(
    info: dict, required: dict[str, str], replaced: dict, sums: dict[tuple[str, str], str], package: str
) -> str | None:
    owners = [path for path in required if package == path or package.startswith(path + "/")]
    if not owners:
        return f"no module of go.mod provides {package}"
    owner = max(owners, key=len)
    modules = [
        ("main module", info.get("Main") or {}, owner),
        *(("dependency", dep, None) for dep in info.get("Deps") or []),
    ]
    for role, module, expected_path in modules:
        path, version = module.get("Path", ""), module.get("Version", "")
        if expected_path is not None and path != expected_path:
            return f"its {role} is {path}, not {expected_path}"
        if required.get(path) != version:
            return f"its {role} {path} is {version or 'unversioned'}, go.mod requires {required.get(path, 'nothing')}"
        new = replaced.get((path, version)) or replaced.get((path, ""))
        got = module.get("Replace")
        if new is None and got is not None:
            return (
                f"its {role} {path} is replaced by {got.get('Path')} {got.get('Version') or '(a directory)'}"
            )
        if new is not None:
            if got is None or (got.get("Path"), got.get("Version", "")) != new:
                return f"its {role} {path} is not replaced by {new[0]} {new[1]} as go.mod says"
            path, version, module = new[0], new[1], got
        if module.get("Sum") != sums.get((path, version)):
            return f"its {role} {path} {version} has the checksum {module.get('Sum')}, go.sum has {sums.get((path, version))}"
    return None


def _settings_problem(settings: list[dict], tags: str, wanted: dict[str, str]) -> str | None:
    exact = {
        "-buildmode": "exe",
        "-compiler": "gc",
        "-trimpath": "true",
        "CGO_ENABLED": wanted["CGO_ENABLED"],
        "GOOS": wanted["GOOS"],
        "GOARCH": wanted["GOARCH"],
    }
    if tags:
        exact["-tags"] = tags
    seen = {item.get("Key", ""): item.get("Value", "") for item in settings}
    for key, value in exact.items():
        if seen.get(key) != value:
            return f"it was built with {key}={seen.get(key, '(unset)')}, not {key}={value}"
    for key, value in seen.items():
        if key in exact or key == "DefaultGODEBUG":  # DefaultGODEBUG follows go.mod's go line
            continue
        if key in ARCH_LEVELS and value == wanted[key]:
            continue
        return f"it was built with {key}={value}, which the pins do not set"
    return None


# -- command line -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="go_pins.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare").add_argument("files", nargs="+", type=Path)
    commands.add_parser("check").add_argument(
        "--binary",
        nargs=4,
        action="append",
        required=True,
        metavar=("BINARY", "MODULE_DIR", "PACKAGE", "TAGS"),
        help="a binary, the module directory it is built from, its main package, its -tags ('' for none)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare":
            env = pinned_env()
            print(
                "\n".join([cache_key(args.files, env), *(f"{name}={value}" for name, value in env.items())])
            )
            return 0
        env = dict(os.environ)
        if any(env.get(name) != value for name, value in PINNED.items()):
            raise PinError("check runs in the environment `prepare` prints (env -i ...)")
        wanted = _go_env(BUILD_SETTINGS, env)
        for binary, module_dir, package, tags in args.binary:
            if problem := binary_problem(Path(binary), Path(module_dir), package, tags, env, wanted):
                print(f"{binary}: {problem}")
                return 1
    except (PinError, OSError) as error:
        print(f"go_pins: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
