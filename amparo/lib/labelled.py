"""A row's ``str()`` that says which row it is and nothing it holds ("shift 12"), so no
name or number reaches the admin, a log or an audit note through it."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class Labelled(models.Model):
    """A model's base, with ``str_label`` set to what the row is (unset: Django's str)."""

    str_label: ClassVar[str] = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.str_label} {self.pk}" if self.str_label else super().__str__()
