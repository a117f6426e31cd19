"""hack/lib.sh's apt helpers against the real apt-get, confined to temporary directories.

* apt_get waits while another process holds an apt lock, and goes on once it is released
  (apt 2.6's `apt-get update` fails at once on a held lists lock, whatever
  DPkg::Lock::Timeout says). The lock is held the way apt holds it: an fcntl(2) record
  lock, which flock(2) locks do not conflict with.
* debian_mirror reads the mirror from apt's own sources, one-line and deb822 alike.

Nothing here touches the machine's apt state: lists, cache and sources are redirected
with apt's `-o Dir::...` options and APT_CONFIG; no network is used.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.poll import wait_until

from .shell import Background, run

pytestmark = pytest.mark.skipif(
    shutil.which("apt-get") is None, reason="apt-get: these helpers are for Debian machines"
)

BUSY = "apt is busy"


@pytest.fixture
def apt_opts(tmp_path: Path) -> str:
    """apt-get options that keep `update` on empty sources and temporary directories."""
    for d in ("lists/partial", "cache/archives/partial", "sources.list.d"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "sources.list").write_text("")
    opts = {
        "Dir::State::Lists": f"{tmp_path}/lists/",
        "Dir::Cache": f"{tmp_path}/cache/",
        "Dir::Etc::SourceList": f"{tmp_path}/sources.list",
        "Dir::Etc::SourceParts": f"{tmp_path}/sources.list.d/",
    }
    return " ".join(f"-o {key}={value}" for key, value in opts.items())


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        **extra,
    }


@contextmanager
def apt_lock(path: Path) -> Iterator[None]:
    """Hold `path` as apt does: a whole-file fcntl write lock."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


# SUDO= : run apt-get as this user (update on temporary directories needs no root), never
# through a sudo that could prompt for a password.
def apt_get(args: str) -> str:
    return f"SUDO=\napt_get {args}\necho apt_get done"


def test_apt_get_waits_for_a_held_lists_lock(tmp_path: Path, apt_opts: str) -> None:
    env = base_env(tmp_path, GRIDOPS_APT_LOCK_TIMEOUT="120")
    with apt_lock(tmp_path / "lists" / "lock"):
        job = Background(apt_get(f"{apt_opts} update"), env, tmp_path, "update")
        try:
            wait_until(
                lambda: BUSY in job.stderr() or not job.running(),
                timeout=30,
                message="apt_get to notice the held lock",
            )
            assert job.running(), job.stderr()
            assert "held by process" in job.stderr()
        except BaseException:
            job.kill()
            raise
    # the lock is released: the next attempt gets it
    assert job.wait(timeout=60) == 0, job.stderr()
    assert "apt_get done" in job.stdout()


def test_apt_get_gives_up_when_the_lock_stays_held(tmp_path: Path, apt_opts: str) -> None:
    env = base_env(tmp_path, GRIDOPS_APT_LOCK_TIMEOUT="3")
    with apt_lock(tmp_path / "lists" / "lock"):
        started = time.monotonic()
        res = run(apt_get(f"{apt_opts} update"), env, timeout=60)
    assert res.returncode == 100, res.stderr
    assert "Could not get lock" in res.stderr
    assert "GRIDOPS_APT_LOCK_TIMEOUT" in res.stderr
    assert time.monotonic() - started < 30


def test_apt_get_does_not_retry_other_failures(tmp_path: Path, apt_opts: str) -> None:
    env = base_env(tmp_path, GRIDOPS_APT_LOCK_TIMEOUT="120")
    # Debug::NoLocking: this failure must not involve any lock of the machine's own apt
    args = f"{apt_opts} -o Debug::NoLocking=true install -y gridops-no-such-package"
    started = time.monotonic()
    res = run(apt_get(args), env, timeout=60)
    assert res.returncode == 100, res.stderr
    assert "Unable to locate package" in res.stderr
    assert BUSY not in res.stderr
    assert time.monotonic() - started < 30


MIRROR = "http://mirror.example.test/debian"
SECURITY = "http://security.example.test/debian-security"
ONE_LINE = f"""\
# comments and a security line first
deb {SECURITY} bookworm-security main
deb-src {MIRROR} bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] {MIRROR}/ bookworm main contrib
"""
DEB822 = f"""\
Types: deb
URIs: {SECURITY}
Suites: bookworm-security
Components: main

Types: deb
URIs: http://other.example.test/debian
Suites: trixie
Components: main

Types: deb deb-src
URIs: {MIRROR}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
THIRD_PARTY_ONLY = f"""\
Types: deb
URIs: {SECURITY}
Suites: bookworm-security
Components: main

Types: deb
URIs: https://vendor.example.test/apt
Suites: stable
Components: vendor
"""


def mirror_env(tmp_path: Path, sources_list: str, parts: dict[str, str]) -> dict[str, str]:
    """Point apt (via APT_CONFIG) at these sources only."""
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "apt.conf.d").mkdir()
    (tmp_path / "sources.list").write_text(sources_list)
    for name, text in parts.items():
        (tmp_path / "sources.list.d" / name).write_text(text)
    conf = tmp_path / "apt.conf"
    conf.write_text(
        f'Dir::Etc::SourceList "{tmp_path}/sources.list";\n'
        f'Dir::Etc::SourceParts "{tmp_path}/sources.list.d/";\n'
        f'Dir::Etc::Parts "{tmp_path}/apt.conf.d/";\n'
    )
    return base_env(tmp_path, APT_CONFIG=str(conf))


@pytest.mark.parametrize(
    ("sources_list", "parts"),
    [
        pytest.param(ONE_LINE, {}, id="one-line sources.list"),
        pytest.param("", {"debian.list": ONE_LINE}, id="one-line .list"),
        pytest.param("", {"debian.sources": DEB822}, id="deb822 .sources"),
    ],
)
def test_debian_mirror_comes_from_the_apt_sources(
    tmp_path: Path, sources_list: str, parts: dict[str, str]
) -> None:
    res = run("debian_mirror", mirror_env(tmp_path, sources_list, parts))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == MIRROR


def test_debian_mirror_fails_clearly_without_one(tmp_path: Path) -> None:
    res = run("debian_mirror", mirror_env(tmp_path, "", {"x.sources": THIRD_PARTY_ONLY}))
    assert res.returncode != 0
    assert res.stdout == ""
    assert "no Debian mirror" in res.stderr
    assert "GRIDOPS_DEBIAN_MIRROR" in res.stderr


def test_gridops_debian_mirror_overrides(tmp_path: Path) -> None:
    env = mirror_env(tmp_path, ONE_LINE, {})
    env["GRIDOPS_DEBIAN_MIRROR"] = "http://override.example.test/debian"
    res = run("debian_mirror", env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "http://override.example.test/debian"
