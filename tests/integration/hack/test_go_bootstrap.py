"""hack/lib.sh's ensure_go with no Go on PATH and no network.

The toolchain comes from a fake Go module proxy (GOPROXY=file://...): a zip laid out as
the proxy serves `golang.org/toolchain`, whose `bin/go` is a shell script answering what
ensure_go asks (`go env GOVERSION`, `go version`, `go list std`; the last one fails when a
file of its "standard library" is missing), plus a few hundred other files.
"""

from __future__ import annotations

import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.poll import wait_until

from .shell import BASH, REPO_ROOT, Background, lib_value, path_without, run


def _pinned(name: str) -> str:
    for line in (REPO_ROOT / "hack" / "versions.env").read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1].strip()
    raise AssertionError(f"{name} is not pinned in hack/versions.env")


GO_VERSION = _pinned("GO_TOOLCHAIN_VERSION")
STD_FILES = [f"src/pkg{p:02d}/file{f}.go" for p in range(60) for f in range(5)]
OTHER_FILES = ["VERSION", "go.env", "LICENSE", "bin/gofmt", "lib/time/README", "misc/README"]
MISSING = "src/pkg07/file3.go"
FETCHED = "fetching the Go toolchain"

FAKE_GO = """#!/bin/sh
# stand-in for a toolchain's go command: just what hack/lib.sh's ensure_go asks of it
root="$(cd "$(dirname "$0")/.." && pwd)"
case "$1" in
  env) [ "$2" = GOVERSION ] && echo @VERSION@ || echo ;;
  version) echo "go version @VERSION@ linux/fake" ;;
  list)
    if [ -n "${FAKE_GO_GATE:-}" ]; then
      # lets a test keep this process inside ensure_go's verification step
      : > "$FAKE_GO_GATE.reached"
      n=0
      while [ ! -e "$FAKE_GO_GATE" ] && [ "$n" -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
    fi
    for f in @FILES@; do
      [ -f "$root/$f" ] || { echo "go: cannot find $f in $root" >&2; exit 1; }
      echo "${f%/*}"
    done ;;
  *) echo "fake go: unsupported: $*" >&2; exit 2 ;;
esac
"""


@dataclass
class Bootstrap:
    tmp: Path
    env: dict[str, str]
    platform: str

    @property
    def cache(self) -> Path:
        return Path(self.env["GRIDOPS_CACHE_DIR"])

    @property
    def toolchain(self) -> Path:
        """Where ensure_go publishes the toolchain."""
        return self.cache / "go" / f"toolchain-{GO_VERSION}"

    def leftovers(self) -> list[Path]:
        return sorted((self.cache / "go").glob(f"toolchain-{GO_VERSION}.tmp*"))

    def serve(self, drop: str | None = None) -> set[str]:
        """Write the toolchain zip into a file:// proxy; return the files it holds."""
        at = self.tmp / "proxy" / "golang.org" / "toolchain" / "@v"
        at.mkdir(parents=True, exist_ok=True)
        prefix = f"golang.org/toolchain@v0.0.1-{GO_VERSION}.{self.platform}"
        fake_go = FAKE_GO.replace("@VERSION@", GO_VERSION).replace("@FILES@", " ".join(STD_FILES))
        contents = {"bin/go": fake_go}
        contents.update({name: f"package {name.split('/')[1]}\n" for name in STD_FILES})
        contents.update({name: f"{name}\n" for name in OTHER_FILES})
        contents.pop(drop or "", None)
        with zipfile.ZipFile(at / f"v0.0.1-{GO_VERSION}.{self.platform}.zip", "w") as zf:
            for name, text in contents.items():
                info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=(2026, 1, 1, 0, 0, 0))
                info.create_system = 3  # unix: unzip restores the modes below
                info.external_attr = (0o100755 if name.startswith("bin/") else 0o100644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, text)
        return set(contents)

    def published_files(self) -> set[str]:
        return {
            str(p.relative_to(self.toolchain)) for p in self.toolchain.rglob("*") if p.is_file()
        }


@pytest.fixture(scope="module")
def path_without_go(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = path_without(tmp_path_factory.mktemp("bin"), "go", "gofmt")
    for tool in ("curl", "unzip", "flock"):
        probe = subprocess.run(
            [BASH, "-c", f"command -v {tool}"], env={"PATH": path}, capture_output=True, check=False
        )
        if probe.returncode != 0:
            pytest.fail(f"{tool} is missing: run `make prereqs` (hack/test-prereqs.sh)")
    probe = subprocess.run(
        [BASH, "-c", "command -v go"], env={"PATH": path}, capture_output=True, check=False
    )
    assert probe.returncode != 0, "the test PATH still has a go"
    return path


@pytest.fixture
def bootstrap(tmp_path: Path, path_without_go: str) -> Bootstrap:
    env = {
        "PATH": path_without_go,
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "GRIDOPS_CACHE_DIR": str(tmp_path / "cache"),
        "GRIDOPS_GO_SYSTEM_BIN": "",  # lib.sh would put /usr/local/go/bin first
        "GOPROXY": f"file://{tmp_path / 'proxy'},direct",
    }
    platform = lib_value("go_host_platform", env)
    return Bootstrap(tmp_path, env, platform)


ENSURE_GO = 'ensure_go\ngo version\necho "go is $(type -P go)"'


def test_concurrent_calls_publish_one_complete_toolchain(bootstrap: Bootstrap) -> None:
    files = bootstrap.serve()
    gate = bootstrap.tmp / "gate"
    env = {**bootstrap.env, "FAKE_GO_GATE": str(gate)}
    first = Background(ENSURE_GO, env, bootstrap.tmp, "first")
    second: Background | None = None
    try:
        # the first caller is verifying its download (inside `go list std`) ...
        wait_until(
            lambda: Path(f"{gate}.reached").exists() or not first.running(),
            timeout=60,
            message="the first ensure_go to reach `go list std`",
        )
        assert first.running(), first.stderr()
        assert not bootstrap.toolchain.exists(), "published before it was verified"
        # ... when a second one starts: it must wait, not fetch into the same place
        second = Background(ENSURE_GO, env, bootstrap.tmp, "second")
        wait_until(
            lambda: "waiting for" in second.stderr() or not second.running(),
            timeout=30,
            message="the second ensure_go to wait for the first one's lock",
        )
        assert second.running(), second.stderr()
        gate.touch()
        assert first.wait(timeout=60) == 0, first.stderr()
        assert second.wait(timeout=60) == 0, second.stderr()
    finally:
        first.kill()
        if second is not None:
            second.kill()

    logs = first.stderr() + second.stderr()
    assert logs.count(FETCHED) == 1, logs
    for caller in (first, second):
        assert f"go version {GO_VERSION} " in caller.stdout(), caller.stdout()
        assert f"go is {bootstrap.toolchain}/bin/go" in caller.stdout(), caller.stdout()
    assert bootstrap.published_files() == files | {".gridops-verified"}
    assert bootstrap.leftovers() == []


def test_a_toolchain_missing_a_file_is_not_published(bootstrap: Bootstrap) -> None:
    bootstrap.serve(drop=MISSING)
    res = run(ENSURE_GO, bootstrap.env)
    assert res.returncode != 0, res.stdout + res.stderr
    assert "go list std" in res.stderr, res.stderr
    assert MISSING in res.stderr, res.stderr
    assert not bootstrap.toolchain.exists()
    assert bootstrap.leftovers() == []


def test_an_unverified_toolchain_left_by_older_code_is_replaced(bootstrap: Bootstrap) -> None:
    files = bootstrap.serve()
    # what the old, unlocked ensure_go could leave behind: a go binary and little else
    (bootstrap.toolchain / "bin").mkdir(parents=True)
    go = bootstrap.toolchain / "bin" / "go"
    go.write_text(f"#!/bin/sh\necho {GO_VERSION}\n")
    go.chmod(0o755)
    res = run(ENSURE_GO, bootstrap.env)
    assert res.returncode == 0, res.stderr
    assert FETCHED in res.stderr
    assert bootstrap.published_files() == files | {".gridops-verified"}
    assert bootstrap.leftovers() == []


def test_a_published_toolchain_is_reused_without_the_proxy(bootstrap: Bootstrap) -> None:
    bootstrap.serve()
    assert run(ENSURE_GO, bootstrap.env).returncode == 0
    env = {**bootstrap.env, "GOPROXY": "off"}
    res = run(ENSURE_GO, env)
    assert res.returncode == 0, res.stderr
    assert FETCHED not in res.stderr


def test_without_a_go_or_a_goproxy_it_says_to_set_goproxy(bootstrap: Bootstrap) -> None:
    env = {k: v for k, v in bootstrap.env.items() if k != "GOPROXY"}
    res = run(ENSURE_GO, env)
    assert res.returncode != 0
    assert "set GOPROXY" in res.stderr, res.stderr
    assert not bootstrap.toolchain.exists()


def test_a_script_that_never_calls_ensure_go_still_gets_the_toolchain(
    bootstrap: Bootstrap,
) -> None:
    # node-image.sh once ran `go mod download` without ensure_go: exit 127 when Go lived
    # only in the cache. lib.sh's `go` function runs ensure_go on first use.
    bootstrap.serve()
    res = run('go version\necho "go is $(type -P go)"', bootstrap.env)
    assert res.returncode == 0, res.stderr
    assert f"go version {GO_VERSION} " in res.stdout
    assert f"go is {bootstrap.toolchain}/bin/go" in res.stdout
