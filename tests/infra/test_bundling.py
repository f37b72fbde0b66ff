"""Lambda bundling without Docker: what pip is asked for, and what the asset directory receives."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from infra.bundling import (
    PROJECT_ROOT,
    LocalPythonBundler,
    asset_requirements,
    pip_install_command,
    runtime_dependencies,
)
from shared.catalog import FUNCTIONS

# One xdist worker runs the whole suite, so the stack is synthesized once (see conftest).
pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def test_runtime_dependencies_are_the_pyproject_project_dependencies() -> None:
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as file:
        assert runtime_dependencies() == tomllib.load(file)["project"]["dependencies"]


def test_pip_fetches_python_3_11_arm64_wheels_only(tmp_path: Path) -> None:
    command = pip_install_command(tmp_path, ["pydantic==2.14.3"])
    assert command[command.index("--platform") + 1] == "manylinux2014_aarch64"
    assert command[command.index("--python-version") + 1] == "3.11"
    assert command[command.index("--implementation") + 1] == "cp"
    assert "--only-binary=:all:" in command
    assert command[command.index("--target") + 1] == str(tmp_path)
    assert command[-1] == "pydantic==2.14.3"


@pytest.mark.parametrize("extras", sorted({spec.bundle_extras for spec in FUNCTIONS}))
def test_every_code_asset_resolves_to_wheels_for_the_lambda_runtime(
    tmp_path: Path, extras: tuple[str, ...]
) -> None:
    # the stack's tests synthesize without dependencies; this is what `make synth` will ask pip for
    # (from the package index: pip resolves from its metadata without downloading the wheels)
    command = pip_install_command(tmp_path / "asset", asset_requirements(extras), dry_run=True)
    resolved = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resolved.returncode == 0, resolved.stderr[-2000:]


def test_code_only_bundle_copies_the_packages_without_caches(tmp_path: Path) -> None:
    # Given a project with the two packages, a cache directory and something that must stay out
    project = tmp_path / "project"
    (project / "shared" / "__pycache__").mkdir(parents=True)
    (project / "shared" / "__init__.py").write_text("")
    (project / "shared" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    (project / "functions" / "ws_default").mkdir(parents=True)
    (project / "functions" / "ws_default" / "handler.py").write_text("def handler(e, c): ...\n")
    (project / "tools").mkdir()
    output = tmp_path / "asset"
    output.mkdir()
    # When
    assert LocalPythonBundler(project, install_dependencies=False).try_bundle(str(output)) is True
    # Then
    sources = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.py"))
    assert sources == ["functions/ws_default/handler.py", "shared/__init__.py"]
    assert not (output / "tools").exists()
    # and each module ships with bytecode that never checks timestamps (the copied stale cache is gone)
    caches = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.pyc"))
    assert caches == [
        "functions/ws_default/__pycache__/handler.cpython-311.pyc",
        "shared/__pycache__/__init__.cpython-311.pyc",
    ]
    for cache in output.rglob("*.pyc"):
        flags = int.from_bytes(cache.read_bytes()[4:8], "little")
        assert flags == 0b01  # hash-based, unchecked (PEP 552)
