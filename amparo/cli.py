"""The `amparo` console command (also `python -m amparo`): Django's management commands
and Amparo's own; `create-network` runs the command module `create_network`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from amparo.lib.crypto.keys import ensure_key_file, new_key_text

HELP = """\
usage: amparo COMMAND [options]

Amparo's commands:
  demo             set up and run the demo: migrate, seed a fictional network,
                   start the web server and a worker, print the URL and logins
  run              run a real deployment (configured by environment variables):
                   migrate, then start the web server and a worker
  worker           run an extra background worker (point it at the same database
                   and AMPARO_HUEY_URL as the web server)
  create-network   SLUG --name NAME --coordinator EMAIL: a network, its first
                   coordinator, and a one-time link to set their password
  add-login        SLUG EMAIL --roles a,b [--language es]: let someone log in to a
                   network; prints a one-time link to set their password
  import-people    FILE --network SLUG [--dry-run]: import a spreadsheet of people
  rotate-keys      rewrap every data key under the first AMPARO_MASTER_KEY
  purge            delete what is past its retention period (also runs every 30 s)
  audit verify     check the audit log's hash chain; names the first edited or deleted event
                   (--last-hash H: also that the log still reaches the hash you kept)
  backup           --to FILE --public-key PEM: an encrypted backup
  restore          --from FILE --private-key PEM: restore it into an empty database
  generate-backup-keys  --out DIR: a key pair for backups (keep the private key off
                   the server)
  panic            --i-understand: destroy the key material; nothing sealed can be
                   read again, in this database, its copies or its backups
  generate-key     print a new random key for AMPARO_MASTER_KEY or AMPARO_INDEX_KEY
  two-factor-code  EMAIL: the current authenticator code of a demo login (demo only)
  account-reset    EMAIL [--reactivate]: the operator's reset of an account (factors,
                   password, sessions); prints a one-time link to set a new password
  messages         extract, update and compile the translation catalogues

Every Django management command works too (amparo migrate, amparo shell, …):
`amparo help` lists them, `amparo help COMMAND` explains one.

In a checkout whose demo has run and where no keys are configured, every command but
`run` works on the demo's data with the demo's keys (and says so).
"""


def demo_environment(data_dir: Path) -> None:
    """The demo is the embedded default: SQLite, the sandbox phone, its own keys."""
    os.environ.setdefault("AMPARO_DEMO", "1")
    os.environ.setdefault("AMPARO_DATA_DIR", str(data_dir))
    keys = data_dir / "demo-keys"
    for variable, name in (("AMPARO_MASTER_KEY", "master.key"), ("AMPARO_INDEX_KEY", "index.key")):
        if not os.environ.get(variable) and not os.environ.get(f"{variable}_FILE"):
            os.environ[f"{variable}_FILE"] = str(ensure_key_file(keys / name))


# Set by an operator for a real deployment; with none of them set, a checkout whose demo
# has run is the demo's (see beside_the_demo).
DEPLOYMENT_KEYS = ("AMPARO_SECRET_KEY", "AMPARO_MASTER_KEY", "AMPARO_INDEX_KEY")


def beside_the_demo(command: str, data_dir: Path) -> bool:
    """An operator's command in a checkout whose demo ran and with no keys configured works
    on the demo's data and keys; never ``run`` (it would serve the demo's data as real)."""
    configured = any(os.environ.get(v) or os.environ.get(f"{v}_FILE") for v in DEPLOYMENT_KEYS)
    demo_ran = (data_dir / "demo-keys" / "master.key").is_file()
    return demo_ran and not configured and command != "run"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        sys.stdout.write(HELP)
        return 0
    # a dashed name runs the command module with underscores (create-network)
    command = args[0].replace("-", "_") if args[0][:1].isalpha() else args[0]
    if command == "generate_key":  # needs no settings: it is how one makes the first keys
        sys.stdout.write(new_key_text() + "\n")
        return 0
    default_dir = Path(__file__).resolve().parent.parent / "var"
    data_dir = Path(os.environ.get("AMPARO_DATA_DIR", str(default_dir))).resolve()
    # The demo's helper reads the demo's own database and keys unless keys are configured
    # (then it is a real deployment, and the command refuses: settings.DEMO is off).
    demo_helper = command == "two_factor_code" and not any(
        os.environ.get(v) for v in ("AMPARO_MASTER_KEY", "AMPARO_MASTER_KEY_FILE")
    )
    # The catalogues need the settings but no deployment: the demo's keys do.
    if command in ("demo", "messages") or demo_helper:
        demo_environment(data_dir)
    elif beside_the_demo(command, data_dir):
        demo_environment(data_dir)
        sys.stderr.write(
            f"amparo: no keys configured: using the demo's data and keys in {data_dir} "
            "(a deployment sets AMPARO_SECRET_KEY and AMPARO_MASTER_KEY)\n"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["amparo", command, *args[1:]])
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"amparo: cannot start: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
