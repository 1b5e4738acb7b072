"""A wheel built from the checkout carries the templates, config, migrations and data, and an installed copy finds them."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
#: Nothing of these goes into a wheel; copying them would only slow the build down.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "build", "dist", "instance", "tests", "bench",
                                     "__pycache__", "*.pyc", "*.egg-info", ".pytest_cache")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy, so the build leaves no build/ or egg-info behind in the checkout.
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work / "dist"), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = (work / "dist").glob("wfsurvey-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_contains_templates_config_migrations_and_data(wheel_names):
    for name in [
        "wfsurvey/templates/base.html",
        "wfsurvey/migrations/env.py",
        "wfsurvey/migrations/alembic.ini",
        "wfsurvey/migrations/script.py.mako",
        "wfsurvey/config/default.py",
        "wfsurvey/config/production.example.py",
        "wfsurvey/data/california/lwdb.csv",
    ]:
        assert name in wheel_names, name
    versions = sorted(p.name for p in (REPO / "migrations" / "versions").glob("*.py"))
    assert versions
    for version in versions:
        assert f"wfsurvey/migrations/versions/{version}" in wheel_names, version


def test_wheel_contains_every_template_and_package(wheel_names):
    templates = [p.relative_to(REPO / "templates").as_posix() for p in (REPO / "templates").rglob("*") if p.is_file()]
    missing = [t for t in templates if f"wfsurvey/templates/{t}" not in wheel_names]
    assert missing == [], "template files missing from the wheel (see [options.package_data] in setup.cfg)"
    packages = [p.parent.relative_to(REPO).as_posix() for p in (REPO / "wfsurvey").rglob("__init__.py")]
    missing = [p.replace("/", ".") for p in packages if f"{p}/__init__.py" not in wheel_names]
    assert missing == [], "packages missing from the wheel: add them to `packages` in setup.cfg"


def test_installed_wheel_finds_its_templates_and_migrates_a_database(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    check = textwrap.dedent(
        f"""
        from pathlib import Path
        import wfsurvey, wfsurvey.paths as paths
        site = Path({str(site)!r}).resolve()
        assert Path(wfsurvey.__file__).resolve().is_relative_to(site), wfsurvey.__file__
        for folder in (paths.TEMPLATES_DIR, paths.CONFIG_DIR, paths.MIGRATIONS_DIR):
            assert folder.resolve().is_relative_to(site / "wfsurvey"), folder
        assert (paths.TEMPLATES_DIR / "base.html").is_file()

        from flask_migrate import upgrade
        from sqlalchemy import inspect
        from wfsurvey.extensions import db
        app = wfsurvey.create_app({{"DATABASE_URL": "sqlite:///{tmp_path / 'wheel.sqlite'}"}})
        with app.app_context():
            assert app.jinja_env.get_template("base.html") is not None
            upgrade(directory=str(paths.MIGRATIONS_DIR))
            print(sorted(inspect(db.engine).get_table_names()))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFSURVEY_")}
    env.update(PYTHONPATH=str(site), WFSURVEY_INSTANCE_PATH=str(tmp_path / "instance"))
    # The dependencies come from this interpreter's environment; wfsurvey itself from the wheel.
    result = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "'events'" in result.stdout and "'alembic_version'" in result.stdout
