"""Background work for people: the import task lives with the import's services
(:mod:`amparo.people.importing.work`); importing it here registers it with the worker."""

from __future__ import annotations

from .importing.work import import_batch_task

__all__ = ["import_batch_task"]
