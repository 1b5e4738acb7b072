"""Where the top-level folders (templates, config, migrations) are, from a checkout or a wheel."""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """A wheel maps `templates/` etc. into the package; a checkout keeps them beside it."""
    inside = PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / name


TEMPLATES_DIR = resource_dir("templates")
CONFIG_DIR = resource_dir("config")
MIGRATIONS_DIR = resource_dir("migrations")
DATA_DIR = PACKAGE_DIR / "data"
