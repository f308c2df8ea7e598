"""Background work for people: the import task lives with the import's services
(:mod:`amparo.people.importing.work`), the export's with the export's files
(:mod:`amparo.people.export_files`); importing them here registers them with the worker."""

from __future__ import annotations

from .export_files import export_file_task
from .importing.work import import_batch_task

__all__ = ["export_file_task", "import_batch_task"]
