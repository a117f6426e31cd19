"""Package layout: the symlinked service packages, the stdlib `operator`, the entry point."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import gridops
import gridops.cli
import gridops.connector

ROOT = Path(__file__).resolve().parents[2]
STDLIB = Path(os.path.realpath(sysconfig.get_paths()["stdlib"]))


def test_gridops_connector_lives_in_services_connector() -> None:
    location = Path(os.path.realpath(gridops.connector.__file__))
    expected = Path(os.path.realpath(ROOT / "services" / "connector"))
    assert location.parent == expected
    assert location.is_relative_to(expected)


def test_connector_submodules_resolve_there_too() -> None:
    fanout = importlib.import_module("gridops.connector.fanout")
    assert fanout.__file__ is not None
    location = Path(os.path.realpath(fanout.__file__))
    assert location == Path(os.path.realpath(ROOT / "services" / "connector" / "fanout.py"))


def test_import_operator_is_the_standard_library() -> None:
    import operator

    assert hasattr(operator, "itemgetter")
    assert operator.__file__ is not None
    assert Path(os.path.realpath(operator.__file__)).is_relative_to(STDLIB)


def test_operator_folder_does_not_shadow_the_stdlib_from_the_repo_root() -> None:
    # -S: no site, so nothing imported `operator` before the repo root ('') is searched.
    code = "import operator, sys; print(operator.__file__); print(hasattr(operator, 'itemgetter'))"
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    where, has_itemgetter = result.stdout.split()
    assert Path(os.path.realpath(where)).is_relative_to(STDLIB), where
    assert has_itemgetter == "True"


def test_console_script_entry_point_is_declared() -> None:
    scripts = [ep for ep in metadata.entry_points(group="console_scripts") if ep.name == "gridops"]
    assert len(scripts) == 1, scripts
    assert scripts[0].value == "gridops.cli:main"
    assert scripts[0].load() is gridops.cli.main


def test_pyproject_declares_the_same_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["gridops"] == "gridops.cli:main"


def test_installed_version_is_the_project_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert gridops.__version__ == metadata.version("gridops") == project["version"]


def test_cli_version_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    gridops.cli.main(["version"])
    out, _ = capsys.readouterr()
    assert out == f"gridops {gridops.__version__}\n"
    assert gridops.__version__ != "0.0.0+unknown"


def test_cli_without_a_command_exits_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        gridops.cli.main([])
    assert info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err
