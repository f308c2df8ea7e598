"""A pytest plugin (loaded for every test run by ``-p`` in pyproject.toml, so browser
tests under tests/ get it too): the session collects the static files first."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings


def pytest_sessionstart(session: Any) -> None:
    """Collect the static files as `amparo run` does (hashed names, .gz and .br copies):
    pages name the hashed files of the manifest exactly as in a deployment, so a template
    naming a missing file fails here and not in production. Compressing takes seconds,
    so the result is kept per content of amparo/static/ (var/test/static-<digest>) and
    reused by later runs and parallel workers."""
    from django.contrib.staticfiles import handlers
    from django.core.management import call_command

    # pytest-django's live server wraps the site in staticfiles' finder handler, which
    # knows no hashed names: pass the requests through, so WhiteNoise serves them from
    # STATIC_ROOT (compressed, long-cached) exactly as in a deployment.
    handlers.StaticFilesHandler = _through  # type: ignore[misc,assignment]

    source = Path(settings.BASE_DIR) / "static"
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(source)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    target = Path(settings.DATA_DIR) / f"static-{digest.hexdigest()[:16]}"
    settings.STATIC_ROOT = target
    if (target / "staticfiles.json").is_file():
        return
    building = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    settings.STATIC_ROOT = building
    call_command("collectstatic", interactive=False, verbosity=0)
    settings.STATIC_ROOT = target
    try:
        building.rename(target)
    except OSError:  # a parallel worker got there first: same files
        shutil.rmtree(building, ignore_errors=True)
    for old in Path(settings.DATA_DIR).glob("static-*"):
        if old.name != target.name and not old.name.endswith(".tmp"):
            shutil.rmtree(old, ignore_errors=True)


def _through(application: Any) -> Any:
    return application
