"""The errors of an import. Each carries ``message``: why, in words for a person."""

from __future__ import annotations

from amparo.accounts.access import Refused


class ImportFileError(Refused):
    """The file as a whole cannot be imported; ``message`` says why, for a person."""


class ImportNotReady(Refused):
    """The import cannot run yet (or any more); ``message`` says why, for a person."""


class ImportFailed(Refused):
    """The import broke off; nothing of it was saved. ``message`` is for a person."""
