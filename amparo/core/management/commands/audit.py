from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.accounts.chain import chain_verify
from amparo.lib.crypto.keys import KeyConfigurationError, require_keys


class Command(BaseCommand):
    help = (
        "Check the audit log. `amparo audit verify` recomputes the hash chain and "
        "names the first event that was edited or whose predecessor was deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="recompute the hash chain of the audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            require_keys()
        except KeyConfigurationError as exc:
            raise CommandError(str(exc)) from None
        report = chain_verify()
        if report.before_chain:
            self.stdout.write(
                f"{report.before_chain} events from before the chain existed: not checked\n"
            )
        if not report.intact:
            after = (
                f" (last intact event: id {report.last_good_id})"
                if report.last_good_id is not None
                else ""
            )
            raise CommandError(
                f"chain broken at event id {report.broken_id}: {report.reason}{after}",
                returncode=1,
            )
        self.stdout.write(f"chain intact: {report.checked} events\n")
        if report.last_hash:
            self.stdout.write(
                f"last hash: {report.last_hash} (keep it elsewhere to detect a cut-off end)\n"
            )
