"""The errors of an import. Each carries ``message``: why, in words for a person."""

from __future__ import annotations


class ImportFileError(Exception):
    """The file as a whole cannot be imported; ``message`` says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportNotReady(Exception):
    """The import cannot run yet (or any more); ``message`` says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportFailed(Exception):
    """The import broke off; nothing of it was saved. ``message`` is for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
