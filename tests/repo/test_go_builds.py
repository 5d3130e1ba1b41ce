"""Layer 1: ``scripts/engine`` and ``scripts/actionlint`` build in a pinned Go environment, key their
caches on everything that decides the binary, and use a cached binary only if it is what the pins build.

No real build (a real engine build takes minutes): the scripts run in a copy of the project with a
stand-in ``go`` first on PATH. It logs every call with the environment it got, "builds" a script that
carries the build information a real ``go build`` would record (modules from go.mod and go.sum, the
build settings from its flags and environment, and, like real Go, a module swapped for a directory
when a ``go.work`` is in effect), and answers ``go version -m`` with it. Tampering with a cached binary
means editing that build information.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dev.support import REPO_ROOT

pytestmark = pytest.mark.layer1


def _load_go_pins():
    """``scripts/go_pins.py``, a standalone script, as a module."""
    spec = importlib.util.spec_from_file_location("go_pins", REPO_ROOT / "scripts" / "go_pins.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


go_pins = _load_go_pins()

ENGINE_PACKAGES = {
    "pulumi": "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
    "pulumi-language-python": "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python",
}
ACTIONLINT_PACKAGE = "github.com/rhysd/actionlint/cmd/actionlint"
WATCHED = (
    "GOWORK",
    "GOFLAGS",
    "GOTOOLCHAIN",
    "GOENV",
    "CGO_ENABLED",
    "GOOS",
    "GOARCH",
    "GOEXPERIMENT",
    "GOAMD64",
)
# What a caller's shell may hold; each would change what go builds if it reached the build.
HOSTILE = {
    "GOFLAGS": "-mod=mod -tags=evil",
    "GOTOOLCHAIN": "go1.99.0",
    "CGO_ENABLED": "1",
    "GOOS": "windows",
    "GOARCH": "arm64",
    "GOEXPERIMENT": "boringcrypto",
    "GOAMD64": "v3",
}

FAKE_GO = r"""
import json, os, re, sys
from pathlib import Path

LOG, CONFIG = Path(sys.argv.pop(1)), json.loads(Path(sys.argv.pop(1)).read_text())
args, env = sys.argv[1:], os.environ
with LOG.open("a") as log:
    log.write(json.dumps({"args": args, "env": {k: env.get(k) for k in WATCHED}}) + "\n")


def value(name):
    defaults = {
        "GOVERSION": CONFIG["goversion"], "GOHOSTOS": "linux", "GOHOSTARCH": "amd64",
        "GOOS": env.get("GOOS") or "linux", "GOARCH": env.get("GOARCH") or "amd64",
        "GOAMD64": env.get("GOAMD64") or "v1", "CGO_ENABLED": env.get("CGO_ENABLED") or "1",
        "GOTOOLCHAIN": env.get("GOTOOLCHAIN") or "auto", "GOPROXY": env.get("GOPROXY") or "https://proxy.golang.org,direct",
        "GOMODCACHE": env.get("GOMODCACHE") or "/nonexistent/mod",
    }
    return defaults[name] if name in defaults else env.get(name, "")


def go_mod(directory):
    text = (Path(directory) / "go.mod").read_text()
    required = dict(re.findall(r"^\s+(\S+) (v\S+)(?: // indirect)?$", text, re.M))
    replaced = {old: (new, version) for old, new, version in re.findall(r"^replace (\S+) => (\S+) ?(\S*)$", text, re.M)}
    sums = dict(((m, v), h) for m, v, h in re.findall(r"^(\S+) (v[^/\s]+) (h1:\S+)$", (Path(directory) / "go.sum").read_text(), re.M))
    return required, replaced, sums


def build(args):
    directory = args[args.index("-C") + 1]
    out, package = args[args.index("-o") + 1], args[-1]
    required, replaced, sums = go_mod(directory)
    owner = max((m for m in required if package == m or package.startswith(m + "/")), key=len)

    def module(path):
        entry = {"Path": path, "Version": required[path], "Sum": sums.get((path, required[path]))}
        if path in replaced:
            new, version = replaced[path]
            entry["Replace"] = {"Path": new, "Version": version, **({"Sum": sums.get((new, version))} if version else {})}
            entry.pop("Sum")
        return entry

    deps = [module(path) for path in sorted(required) if path != owner and (path, required[path]) in sums]
    work = env.get("GOWORK", "")
    if work != "off" and work and Path(work).is_file() and deps:  # a workspace swaps in a directory
        deps[0] = {**deps[0], "Replace": {"Path": "../fork", "Version": ""}}
        deps[0].pop("Sum", None)
    tags = [args[args.index("-tags") + 1]] if "-tags" in args else []
    tags += re.findall(r"-tags=(\S+)", env.get("GOFLAGS", ""))
    settings = [{"Key": "-buildmode", "Value": "exe"}, {"Key": "-compiler", "Value": "gc"}]
    settings += [{"Key": "-tags", "Value": ",".join(tags)}] if tags else []
    settings += [{"Key": "-trimpath", "Value": "true"}] if "-trimpath" in args else []
    settings += [{"Key": k, "Value": value(k)} for k in ("CGO_ENABLED", "GOARCH", "GOOS")]
    settings += [{"Key": "GOAMD64", "Value": value("GOAMD64")}] if value("GOARCH") == "amd64" else []
    settings += [{"Key": "GOEXPERIMENT", "Value": env["GOEXPERIMENT"]}] if env.get("GOEXPERIMENT") else []
    info = {"GoVersion": CONFIG["goversion"], "Path": package, "Main": module(owner), "Deps": deps, "Settings": settings}
    stamp = (re.findall(r"[Vv]ersion=(\S+)", args[args.index("-ldflags") + 1]) if "-ldflags" in args else []) or ["?"]
    Path(out).write_text(
        "#!/bin/sh\n# buildinfo: " + json.dumps(info) + "\n"
        + f'if [ "$1" = version ]; then echo {stamp[0]}; else echo "ran {package} $*"; fi\n'
    )
    Path(out).chmod(0o755)


if args[:1] == ["env"]:
    names = [a for a in args[1:] if a != "-json"]
    print(json.dumps({n: value(n) for n in names}) if "-json" in args else "\n".join(value(n) for n in names))
elif args == ["version"]:
    print(f"go version {CONFIG['goversion']} linux/amd64")
elif args[:3] == ["version", "-m", "-json"]:
    lines = [l for l in Path(args[3]).read_text().splitlines() if l.startswith("# buildinfo: ")]
    if not lines:
        sys.exit(f"{args[3]}: could not read Go build information")
    print(lines[0].removeprefix("# buildinfo: "))
elif args[:1] == ["build"]:
    build(args)
elif args[:1] == ["list"]:
    print(CONFIG["sdk_dir"])
elif args[:2] == ["mod", "download"]:
    pass
else:
    sys.exit(f"fake go: unexpected {args}")
"""


class GoProject:
    """A copy of the scripts and tools/ with a stand-in go; ``run`` runs a script there."""

    def __init__(self, root: Path) -> None:
        self.root, self.log, self.config = root / "project", root / "go.log", root / "go.json"
        for name in ("scripts/engine", "scripts/actionlint", "scripts/go_pins.py"):
            (self.root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, self.root / name)
        for module in ("pulumi", "pulumi-language-python", "actionlint"):
            for name in ("go.mod", "go.sum"):
                (self.root / "tools" / module).mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO_ROOT / "tools" / module / name, self.root / "tools" / module / name)
        sdk = root / "sdk"
        for name in ("python/cmd/pulumi-language-python-exec", "python/dist/pulumi-resource-pulumi-python"):
            (sdk / name).parent.mkdir(parents=True, exist_ok=True)
            (sdk / name).write_text("#!/bin/sh\n")
        self.set_config(goversion="go1.26.8", sdk_dir=str(sdk))
        self.bin = root / "bin"
        self.bin.mkdir()
        (root / "fake_go.py").write_text(f"WATCHED = {WATCHED!r}\n" + FAKE_GO)
        go = self.bin / "go"
        go.write_text(  # -S -E: no site packages to import, every call is fast
            f'#!/bin/sh\nexec {sys.executable} -S -E {root / "fake_go.py"} {self.log} {self.config} "$@"\n'
        )
        go.chmod(0o755)
        self.home, self.cache, self.xdg = root / "home", root / "engine-cache", root / "xdg"
        self.home.mkdir()

    def set_config(self, **values: str) -> None:
        current = json.loads(self.config.read_text()) if self.config.exists() else {}
        self.config.write_text(json.dumps({**current, **values}))

    def run(self, script: str, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        self.log.write_text("")
        env = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.home),
            "BITMOVIN_ENGINE_CACHE": str(self.cache),
            "XDG_CACHE_HOME": str(self.xdg),
            **extra_env,
        }
        return subprocess.run(
            [str(self.root / "scripts" / script), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def pinned_env(self) -> tuple[dict[str, str], dict[str, str]]:
        """The environment the scripts give go, and the build settings go reports in it."""
        environ = {"PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}", "HOME": str(self.home)}
        env = go_pins.pinned_env(environ)
        return env, go_pins._go_env(go_pins.BUILD_SETTINGS, env)

    def calls(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def builds(self) -> list[dict]:
        return [call for call in self.calls() if call["args"][:1] == ["build"]]


@pytest.fixture
def go_project(tmp_path: Path) -> GoProject:
    return GoProject(tmp_path)


def engine_dir(result: subprocess.CompletedProcess[str]) -> Path:
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.splitlines()[-1])


def assert_pinned(build: dict) -> None:
    env = build["env"]
    assert env["GOWORK"] == "off", build
    assert env["GOFLAGS"] == "-mod=readonly", build
    assert env["GOTOOLCHAIN"] == "local", build
    assert env["GOENV"] == "off", build
    assert env["CGO_ENABLED"] == "0", build
    assert (env["GOOS"], env["GOARCH"]) == ("linux", "amd64"), build
    assert env["GOEXPERIMENT"] is None, build
    assert env["GOAMD64"] is None, build


def hostile_env(tmp_path: Path) -> dict[str, str]:
    work, go_env = tmp_path / "elsewhere" / "go.work", tmp_path / "go.env"
    work.parent.mkdir(exist_ok=True)
    work.write_text("go 1.26\n\nuse ./fork\n")
    go_env.write_text("GOFLAGS=-race\nGOTOOLCHAIN=auto\n")
    return {**HOSTILE, "GOWORK": str(work), "GOENV": str(go_env)}


def read_info(binary: Path) -> dict:
    line = next(line for line in binary.read_text().splitlines() if line.startswith("# buildinfo: "))
    return json.loads(line.removeprefix("# buildinfo: "))


def write_info(binary: Path, info: dict | None) -> None:
    lines = binary.read_text().splitlines()
    replaced = [
        line
        if not line.startswith("# buildinfo: ")
        else f"# buildinfo: {json.dumps(info)}"
        if info
        else "# -"
        for line in lines
    ]
    binary.write_text("\n".join(replaced) + "\n")


# -- scripts/engine ------------------------------------------------------------------------------------


def test_the_engine_is_built_in_the_pinned_environment_whatever_the_caller_sets(go_project, tmp_path):
    hostile = go_project.run("engine", **hostile_env(tmp_path))
    built = engine_dir(hostile)
    builds = go_project.builds()
    assert [b["args"][-1] for b in builds] == list(ENGINE_PACKAGES.values())
    for build in builds:
        assert_pinned(build)
    # What was built is what a clean shell would have built: it is found under the clean key, as is.
    clean = go_project.run("engine")
    assert engine_dir(clean) == built
    assert go_project.builds() == []
    assert clean.stderr == ""


def test_the_engine_cache_key_covers_the_go_version(go_project):
    first = engine_dir(go_project.run("engine"))
    go_project.set_config(goversion="go1.26.9")
    second = engine_dir(go_project.run("engine"))
    assert second != first
    assert len(go_project.builds()) == 2
    assert read_info(second / "pulumi")["GoVersion"] == "go1.26.9"


def _bump_dependency(info: dict) -> None:
    info["Deps"][0]["Version"] = "v9.9.9"


def _dependency_from_a_directory(info: dict) -> None:
    info["Deps"][0]["Replace"] = {"Path": "../fork", "Version": ""}


def _without_trimpath(info: dict) -> None:
    info["Settings"] = [s for s in info["Settings"] if s["Key"] != "-trimpath"]


def _with_cgo(info: dict) -> None:
    info["Settings"] = [s if s["Key"] != "CGO_ENABLED" else {**s, "Value": "1"} for s in info["Settings"]]


def _with_experiment(info: dict) -> None:
    info["Settings"].append({"Key": "GOEXPERIMENT", "Value": "boringcrypto"})


def _other_go(info: dict) -> None:
    info["GoVersion"] = "go1.25.0"


def _other_checksum(info: dict) -> None:
    info["Main"]["Sum"] = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


TAMPERS = {
    "a dependency at another version": (_bump_dependency, "go.mod requires"),
    "a dependency from a directory": (_dependency_from_a_directory, "(a directory)"),
    "built without -trimpath": (_without_trimpath, "-trimpath=(unset)"),
    "built with cgo": (_with_cgo, "CGO_ENABLED=1"),
    "built with a GOEXPERIMENT": (_with_experiment, "GOEXPERIMENT=boringcrypto"),
    "built by another go": (_other_go, "go1.25.0"),
    "a main module with another checksum": (_other_checksum, "go.sum has"),
    "no Go build information": (None, "cannot be read"),
}


@pytest.fixture(scope="module")
def built_engine(tmp_path_factory) -> tuple[GoProject, Path]:
    """One stand-in engine build, shared: each check test tampers with a copy of its pulumi."""
    project = GoProject(tmp_path_factory.mktemp("built"))
    return project, engine_dir(project.run("engine"))


@pytest.mark.parametrize("tamper", TAMPERS, ids=str)
def test_the_check_refuses_a_binary_not_built_as_pinned(built_engine, tmp_path, tamper):
    """``go_pins.binary_problem`` against each way a cached binary can differ from what the pins build."""
    change, reason = TAMPERS[tamper]
    project, cached = built_engine
    binary = shutil.copy2(cached / "pulumi", tmp_path / "pulumi")
    module, package, tags = (
        project.root / "tools" / "pulumi",
        ENGINE_PACKAGES["pulumi"],
        "osusergo,grpcnotrace",
    )
    env, wanted = project.pinned_env()
    assert go_pins.binary_problem(binary, module, package, tags, env, wanted) is None
    info = read_info(binary)
    if change is not None:
        change(info)
    write_info(binary, info if change is not None else None)

    problem = go_pins.binary_problem(binary, module, package, tags, env, wanted)

    assert problem is not None
    assert reason in problem


def test_a_cached_engine_that_does_not_match_the_pins_is_built_again(go_project):
    cached = engine_dir(go_project.run("engine"))
    pinned = read_info(cached / "pulumi")
    info = read_info(cached / "pulumi")
    _dependency_from_a_directory(info)
    write_info(cached / "pulumi", info)

    again = go_project.run("engine")

    assert engine_dir(again) == cached
    assert f"the cached engine in {cached} does not match the pins" in again.stderr
    assert "(a directory)" in again.stderr
    assert [b["args"][-1] for b in go_project.builds()] == list(ENGINE_PACKAGES.values())
    assert read_info(cached / "pulumi") == pinned
    assert go_project.run("engine").stderr == ""  # rebuilt as pinned: used as is from now on
    assert go_project.builds() == []


def test_the_engine_refuses_a_go_mod_that_replaces_a_module_by_a_directory(go_project):
    go_mod = go_project.root / "tools" / "pulumi" / "go.mod"
    go_mod.write_text(go_mod.read_text() + "\nreplace github.com/pulumi/pulumi/sdk/v3 => ../pulumi/sdk\n")
    result = go_project.run("engine")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("scripts/engine: ")
    assert "replaces github.com/pulumi/pulumi/sdk/v3 => ../pulumi/sdk (a directory)" in line
    assert go_project.builds() == []
    assert not go_project.cache.exists()


# -- scripts/actionlint --------------------------------------------------------------------------------


def actionlint_dirs(go_project: GoProject) -> list[Path]:
    return sorted((go_project.xdg / "bitmovin-analytics-export").glob("actionlint-*"))


def test_actionlint_is_built_in_the_pinned_environment_whatever_the_caller_sets(go_project, tmp_path):
    result = go_project.run("actionlint", "-version", **hostile_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ran {ACTIONLINT_PACKAGE} -version"
    (build,) = go_project.builds()
    assert_pinned(build)
    assert go_project.run("actionlint", "-version").returncode == 0
    assert go_project.builds() == []  # a clean shell uses the same binary


def test_a_changed_go_mod_never_fills_the_cache_a_clean_checkout_uses(go_project):
    """A `replace` in tools/actionlint/go.mod (here: another fork at the same version) builds into a
    cache directory of its own; the clean go.mod then builds and runs its own binary."""
    go_mod = go_project.root / "tools" / "actionlint" / "go.mod"
    go_sum = go_project.root / "tools" / "actionlint" / "go.sum"
    clean_mod, clean_sum = go_mod.read_text(), go_sum.read_text()
    go_mod.write_text(
        clean_mod + "\nreplace github.com/rhysd/actionlint => github.com/evil/actionlint v1.7.12\n"
    )
    go_sum.write_text(
        clean_sum + "github.com/evil/actionlint v1.7.12 h1:EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE=\n"
    )
    assert go_project.run("actionlint", "-version").returncode == 0
    (poisoned,) = actionlint_dirs(go_project)
    assert read_info(poisoned / "actionlint")["Main"]["Replace"]["Path"] == "github.com/evil/actionlint"

    go_mod.write_text(clean_mod)
    go_sum.write_text(clean_sum)
    clean = go_project.run("actionlint", "-version")

    assert clean.returncode == 0, clean.stderr
    assert len(go_project.builds()) == 1  # not the poisoned binary
    (clean_dir,) = [d for d in actionlint_dirs(go_project) if d != poisoned]
    assert "Replace" not in read_info(clean_dir / "actionlint")["Main"]


def test_actionlint_refuses_a_replace_by_a_directory(go_project):
    go_mod = go_project.root / "tools" / "actionlint" / "go.mod"
    go_mod.write_text(go_mod.read_text() + "\nreplace github.com/rhysd/actionlint => ../actionlint-fork\n")
    result = go_project.run("actionlint", "-version")
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("scripts/actionlint: ")
    assert "replaces github.com/rhysd/actionlint => ../actionlint-fork (a directory)" in line
    assert go_project.builds() == []
    assert actionlint_dirs(go_project) == []


def test_a_cached_actionlint_that_does_not_match_the_pins_is_built_again(go_project):
    assert go_project.run("actionlint", "-version").returncode == 0
    (cached,) = actionlint_dirs(go_project)
    pinned = read_info(cached / "actionlint")
    info = read_info(cached / "actionlint")
    _with_cgo(info)
    write_info(cached / "actionlint", info)

    again = go_project.run("actionlint", "-version")

    assert again.returncode == 0, again.stderr
    assert "does not match the pins" in again.stderr
    assert "CGO_ENABLED=1" in again.stderr
    assert len(go_project.builds()) == 1
    assert read_info(cached / "actionlint") == pinned
    assert go_project.run("actionlint", "-version").stderr == ""
    assert go_project.builds() == []
