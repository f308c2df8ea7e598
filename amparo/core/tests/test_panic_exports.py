"""Panic wipe and background exports: the sealed file of an approved export (every
person's name, phones, email) and the key that opens it must not outlive the wipe."""

from __future__ import annotations

from pathlib import Path

import pytest

from amparo.core.panic import panic_wipe
from amparo.core.tests.test_panic import key_file  # noqa: F401
from amparo.lib.crypto import keys
from amparo.people import export_files
from amparo.people.tests.test_export import approve, approver_a, ask, people  # noqa: F401
from amparo.people.tests.test_export_background import EXPORT, many  # noqa: F401


@pytest.mark.django_db
def test_panic_destroys_the_files_and_keys_of_background_exports(
    coordinator_a,
    approver_a,  # noqa: F811
    many,  # noqa: F811
    key_file,  # noqa: F811
    settings,
):
    request = ask(coordinator_a, EXPORT, {"format": "csv"})
    assert approve(approver_a, request).status_code == 302
    export_files.export_file_work(request.pk)
    request.refresh_from_db()
    assert request.file_state == "ready" and request.file_key
    assert list(Path(settings.EXPORT_FILES_DIR).iterdir())
    try:
        panic_wipe()
        request.refresh_from_db()
        # An escrowed master key (or one left in the environment) must open nothing
        # made before the wipe: neither the file nor its key may remain.
        assert request.file_key is None
        assert not list(Path(settings.EXPORT_FILES_DIR).iterdir())
    finally:
        keys.panic_marker().unlink(missing_ok=True)
        keys.reset_cache()
