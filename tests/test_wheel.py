"""A wheel install works (club-admin trial §4): the migrations ship inside the package, so
`intervals-gateway db upgrade` runs from an installed wheel, away from the source checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.slow

SOURCES = ["pyproject.toml", "setup.py", "README.md", "alembic.ini", "app", "migrations"]


def build_wheel(tmp_path: Path) -> Path:
    """`pip wheel` from a copy of the sources (the checkout gets no build/ or egg-info)."""
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = out.glob("intervals_gateway-*.whl")
    return wheel


def install(wheel: Path, tmp_path: Path) -> Path:
    """A fresh venv with the wheel installed (non-editable); the dependencies come from this
    test's environment through a path entry, which runs none of its .pth files, so the
    editable `app` of the checkout is not visible there."""
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return target


def test_wheel_carries_the_migrations_and_db_upgrade_runs_from_it(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "app/migrations/env.py" in names
    assert "app/migrations/script.py.mako" in names
    assert any(n.startswith("app/migrations/versions/0001_") for n in names)
    assert "app/templates/signin.html" in names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert (
        "License-Expression: LicenseRef-Proprietary"
        in zipfile.ZipFile(wheel).read(metadata).decode()
    )

    target = install(wheel, tmp_path)
    work = tmp_path / "elsewhere"  # not the checkout: nothing can come from ROOT
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "PYTHON"))}
    env["GATEWAY_DATABASE_URL"] = f"sqlite:///{work / 'gateway.db'}"
    where = subprocess.run(
        [str(target / "bin" / "python"), "-c", "import app; print(app.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(target))
    done = subprocess.run(
        [str(target / "bin" / "intervals-gateway"), "db", "upgrade"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "database at revision 0" in done.stdout
    status = subprocess.run(
        [str(target / "bin" / "intervals-gateway"), "db", "status"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0 and "up to date" in status.stdout
