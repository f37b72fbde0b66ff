"""Lambda bundling without Docker: what pip is asked for, and what the asset directory receives."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from infra.bundling import PROJECT_ROOT, LocalPythonBundler, pip_install_command, runtime_dependencies

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
