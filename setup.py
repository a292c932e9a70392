"""Package layout only (metadata lives in pyproject.toml).

The Alembic scripts stay in the top-level ``migrations/`` directory (with ``alembic.ini`` next to
it) for the ``alembic`` command line, and are mapped into the distribution as the ``app.migrations``
package, so a wheel install carries them (``app/migrations/`` in site-packages);
``app.db.migrations.migrations_dir`` finds them there, or in the source checkout.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["app", "app.*"], exclude=["*.__pycache__"]),
        "app.migrations",
        "app.migrations.versions",
    ],
    package_dir={"app.migrations": "migrations"},
    package_data={
        "app.templates": ["*"],
        "app.static": ["*"],
        "app.mcp.views": ["*.html", "*.js"],
        "app.migrations": ["script.py.mako"],
    },
)
