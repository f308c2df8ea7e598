from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from amparo.core.retention import RETENTION, days_for, purge_all


class Command(BaseCommand):
    help = (
        "Delete what has outlived its retention period (see docs/backups-and-panic.md). "
        "Prints a count per kind; audits only the counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what is due; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        counts = purge_all(dry_run=dry_run)
        days = {rule.kind: days_for(rule) for rule in RETENTION}
        verb = "due" if dry_run else "purged"
        for kind, n in counts.items():
            self.stdout.write(f"{kind} (after {days[kind]} days): {n} {verb}\n")
        self.stdout.write(f"total: {sum(counts.values())} {verb}\n")
