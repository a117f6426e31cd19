"""Fixtures for the E2E tier: a real kind cluster (hack/cluster.sh) and the gridops image.

Nothing here skips: a missing cluster or image is a failure that says what to run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
HINT = "run `make cluster image` (hack/cluster.sh up && hack/image.sh --load) first"


def pytest_configure(config: pytest.Config) -> None:
    # Registered here too so `--strict-markers` accepts it without pytest-timeout.
    config.addinivalue_line("markers", "timeout(seconds): per-test timeout (pytest-timeout)")


def _cache_dir() -> Path:
    return Path(os.environ.get("GRIDOPS_CACHE_DIR", Path.home() / ".cache" / "gridops"))


def _cluster_name() -> str:
    return os.environ.get("GRIDOPS_CLUSTER_NAME", "gridops")


def _kubeconfig() -> Path:
    for var in ("GRIDOPS_KUBECONFIG", "KUBECONFIG"):
        if os.environ.get(var):
            return Path(os.environ[var])
    return _cache_dir() / f"kubeconfig-{_cluster_name()}"


def _kubectl_binary() -> str:
    # Prefer the kubectl pinned to the cluster version (built by hack/build-k8s.sh).
    pinned = _cache_dir() / "bin" / "current" / "kubectl"
    if os.environ.get("KUBECTL"):
        return os.environ["KUBECTL"]
    if pinned.exists():
        return str(pinned)
    found = shutil.which("kubectl")
    if not found:
        pytest.fail(f"no kubectl found: {HINT}", pytrace=False)
    return found


class PollTimeout(AssertionError):
    pass


def poll(
    what: str,
    check: Callable[[], Any],
    timeout: float,
    interval: float = 1.0,
    on_timeout: Callable[[], str] | None = None,
) -> Any:
    """Call `check` until it returns a truthy value; fail with `what` after `timeout` s.

    The interval only paces the polling; correctness never depends on it.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
        except subprocess.CalledProcessError as exc:
            last = f"{exc}: {exc.stderr}"
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            extra = on_timeout() if on_timeout else ""
            raise PollTimeout(
                f"timed out after {timeout:.0f}s waiting for {what}; last: {last!r}\n{extra}"
            )
        time.sleep(interval)


@dataclass
class Kubectl:
    binary: str
    kubeconfig: Path
    namespace: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def run(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        cmd = [self.binary, "--kubeconfig", str(self.kubeconfig)]
        if self.namespace:
            cmd += ["--namespace", self.namespace]
        return subprocess.run(
            [*cmd, *args], input=input, capture_output=True, text=True, check=check, timeout=timeout
        )

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def apply(self, *objects: dict[str, Any]) -> None:
        doc = {"apiVersion": "v1", "kind": "List", "items": list(objects)}
        self.run("apply", "-f", "-", input=json.dumps(doc))

    def in_namespace(self, namespace: str) -> Kubectl:
        return Kubectl(self.binary, self.kubeconfig, namespace)

    def diagnostics(self) -> str:
        parts = []
        for args in (
            ("get", "all,events", "-o", "wide"),
            ("describe", "pods"),
            ("logs", "--all-containers", "--prefix", "--tail=50", "-l", "e2e.gridops.io/app"),
        ):
            res = self.run(*args, check=False)
            parts.append(f"$ kubectl {' '.join(args)}\n{res.stdout}{res.stderr}")
        return "\n".join(parts)


@pytest.fixture(scope="session")
def kubectl() -> Kubectl:
    """kubectl against the kind cluster; fails (not skips) when there is none."""
    kc = Kubectl(_kubectl_binary(), _kubeconfig())
    if not kc.kubeconfig.exists():
        pytest.fail(f"no kubeconfig at {kc.kubeconfig}: {HINT}", pytrace=False)
    res = kc.run("get", "--raw", "/readyz", check=False, timeout=30)
    if res.returncode != 0 or res.stdout.strip() != "ok":
        pytest.fail(
            f"the cluster behind {kc.kubeconfig} is not ready ({res.stderr.strip()}): {HINT}",
            pytrace=False,
        )
    return kc


def _image_in_node_runtime(node: str, refs: set[str]) -> bool | None:
    """Ask the kind node's containerd directly (kind node name == container name).

    None when that is impossible (no docker CLI, not a kind node).
    """
    docker = shutil.which("docker")
    if not docker:
        return None
    try:
        res = subprocess.run(
            [docker, "exec", node, "ctr", "--namespace", "k8s.io", "images", "list", "--quiet"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        return None
    if res.returncode != 0:
        return None
    return bool(refs & set(res.stdout.split()))


@pytest.fixture(scope="session")
def gridops_image(kubectl: Kubectl) -> str:
    """The gridops image reference, checked to be present on the node (never pulled)."""
    image = os.environ.get("GRIDOPS_IMAGE", "gridops:dev")
    refs = {image, f"docker.io/library/{image}"} if "/" not in image else {image}
    nodes = kubectl.json("get", "nodes")["items"]
    # the kubelet reports node images with its status, but only every ~10-30 s ...
    reported = {n for node in nodes for i in node["status"].get("images", []) for n in i["names"]}
    if refs & reported:
        return image
    # ... so right after `kind load` ask containerd in the node itself
    verdicts = [_image_in_node_runtime(node["metadata"]["name"], refs) for node in nodes]
    if verdicts and all(v is True for v in verdicts):
        return image
    if any(v is False for v in verdicts):
        pytest.fail(f"image {image} is not loaded into the cluster: {HINT}", pytrace=False)

    def on_node() -> bool:
        items = kubectl.json("get", "nodes")["items"]
        names = {n for node in items for i in node["status"].get("images", []) for n in i["names"]}
        return bool(refs & names)

    try:
        poll(f"image {image} on the node", on_node, timeout=60, interval=2)
    except PollTimeout:
        pytest.fail(f"image {image} is not loaded into the cluster: {HINT}", pytrace=False)
    return image


@pytest.fixture
def namespace(kubectl: Kubectl) -> Iterator[Kubectl]:
    """A fresh namespace per test (kubectl bound to it), deleted afterwards."""
    name = f"gridops-e2e-{uuid.uuid4().hex[:8]}"
    kubectl.run("create", "namespace", name)
    kubectl.run("label", "namespace", name, "e2e.gridops.io/owned=true")
    try:
        yield kubectl.in_namespace(name)
    finally:
        kubectl.run("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="session")
def operator_chart(kubectl: Kubectl, gridops_image: str) -> str:
    """The chart installed as the README says (helm install ... -n gridops-system).

    Returns helm's output (NOTES included). The install -> operator Ready time is recorded.
    """
    from .operator_support import OPERATOR_NAMESPACE, RELEASE, TIMINGS, helm

    started = time.monotonic()
    result = helm(
        kubectl,
        "upgrade", "--install", RELEASE, str(REPO_ROOT / "charts" / "gridops"),
        "--namespace", OPERATOR_NAMESPACE, "--create-namespace",
        "--wait", "--timeout", "180s",
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        operator = kubectl.in_namespace(OPERATOR_NAMESPACE)
        pytest.fail(f"helm install failed:\n{result.stderr}\n{operator.diagnostics()}")
    TIMINGS.add("helm install -> operator Ready", time.monotonic() - started)
    # The tag stays gridops:dev from build to build: an operator pod left from an earlier
    # run (the cluster outlives runs) would go on with the image it started with. Restart
    # it so the tier tests the image just loaded.
    operator = kubectl.in_namespace(OPERATOR_NAMESPACE)
    operator.run("rollout", "restart", "deployment/gridops-operator")
    operator.run("rollout", "status", "deployment/gridops-operator", "--timeout=180s",
                 timeout=200)  # fmt: skip
    return result.stdout


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from .operator_support import TIMINGS

    if not TIMINGS.rows:
        return
    terminalreporter.section("gridops timings (seconds)")
    for what, values in TIMINGS.rows.items():
        terminalreporter.write_line(f"{what}: {', '.join(f'{v:.1f}' for v in values)}")
