from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.lib.crypto.keys import KeyConfigurationError, require_keys
from amparo.lib.crypto.verify import verify_database_keys

from ._processes import run_together


def add_serving_arguments(parser: CommandParser) -> None:
    parser.add_argument("--host", default=settings.HOST)
    parser.add_argument("--port", type=int, default=settings.PORT)
    parser.add_argument("--web-workers", type=int, default=settings.WEB_WORKERS)
    parser.add_argument(
        "--no-serve", action="store_true", help="prepare everything, then exit without serving"
    )


def shown_host(host: str) -> str:
    """The name people type: a loopback address is shown as ``localhost``, because
    passkeys need a host name (an IP address is not a valid relying party)."""
    return "localhost" if host in ("127.0.0.1", "::1") else host


def follow_address(options: dict[str, Any]) -> None:
    """Links Amparo sends (texts, emails) point at where it runs, unless
    AMPARO_BASE_URL says otherwise (a deployment behind a proxy always sets it)."""
    if os.environ.get("AMPARO_BASE_URL"):
        return
    base = f"http://{shown_host(options['host'])}:{options['port']}"
    os.environ["AMPARO_BASE_URL"] = base  # for the web server and worker started next
    settings.BASE_URL = base
    if not os.environ.get("AMPARO_PUBLIC_URL"):
        settings.PUBLIC_URL = base


def migrate_database() -> None:
    """Keys present and well-formed, database migrated, keys matching the database
    (also before create-network and add-login, which may come first on a fresh server)."""
    try:
        require_keys()
    except KeyConfigurationError as exc:
        raise CommandError(str(exc)) from None
    call_command("migrate", interactive=False, verbosity=0)
    problem = verify_database_keys()
    if problem:
        raise CommandError(problem)


def prepare() -> None:
    """The database ready, and the static files collected."""
    migrate_database()
    # hashed, compressed copies of the static files that WhiteNoise serves (settings.py)
    call_command("collectstatic", interactive=False, verbosity=0)


def serve(command: BaseCommand, options: dict[str, Any]) -> None:
    if options["no_serve"]:
        return
    host, port = options["host"], options["port"]
    command.stdout.write(
        f"Amparo is running on http://{shown_host(host)}:{port}/  (Ctrl-C stops it)\n"
    )
    command.stdout.flush()
    code = run_together(host, port, options["web_workers"], command.stdout)
    if code:
        raise CommandError(f"stopped with exit code {code}")


class Command(BaseCommand):
    help = "Run Amparo for a real deployment: migrate, then the web server and a worker."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        add_serving_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        follow_address(options)
        prepare()
        serve(self, options)
