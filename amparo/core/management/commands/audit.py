from __future__ import annotations

import re
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
        verify = sub.add_parser("verify", help="recompute the hash chain of the audit log")
        verify.add_argument(
            "--last-hash",
            default="",
            metavar="HASH",
            help="the last hash an earlier `audit verify` or `amparo backup` printed: "
            "fails if the events up to it are no longer all there (a cut-off end)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            require_keys()
        except KeyConfigurationError as exc:
            raise CommandError(str(exc)) from None
        kept = str(options.get("last_hash") or "").strip().lower()
        if kept and not re.fullmatch(r"[0-9a-f]{64}", kept):
            raise CommandError("--last-hash takes the 64 hexadecimal digits a verify printed")
        report = chain_verify(last_hash=kept)
        if report.before_chain:
            self.stdout.write(
                f"{report.before_chain} events from before the chain existed: not checked\n"
            )
        if not report.intact and report.broken_id is None:
            raise CommandError(f"chain cut off: {report.reason}", returncode=1)
        if not report.intact:
            after = (
                f" (last intact event: id {report.last_good_id})"
                if report.last_good_id is not None
                else ""
            )
            raise CommandError(
                f"chain broken at event id {report.broken_id}: {report.reason}{after}", returncode=1
            )
        self.stdout.write(f"chain intact: {report.checked} events\n")
        if kept:
            self.stdout.write(
                f"the event with the hash you kept is there, {report.after_kept} after it\n"
            )
        if report.last_hash:
            self.stdout.write(
                f"last hash: {report.last_hash} (keep it elsewhere to detect a cut-off end)\n"
            )
