from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pyotp
import pytest
from django.conf import settings

from amparo.alerts.demo import ATTORNEYS as DEMO_ATTORNEYS
from amparo.cases.demo import TEAM_PHONES as CASE_TEAM_PHONES
from amparo.conftest import client_for
from amparo.core.demo import PEOPLE as DEMO_PEOPLE

REPO = Path(settings.REPO_DIR)


@pytest.mark.django_db
def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


@pytest.mark.django_db
def test_pages_are_mobile_first_and_accessible(coordinator_a):
    page = client_for(coordinator_a).get("/").content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert 'class="skip" href="#main"' in page and 'id="main"' in page
    assert '<label for="language-select">' in page
    css = (REPO / "amparo/static/amparo/amparo.css").read_text()
    assert "min-height: 44px" in css  # touch targets


@pytest.mark.django_db
def test_404_page_does_not_echo_the_query(coordinator_a):
    response = client_for(coordinator_a).get("/sandbox/987654/?q=Maria-Secret")
    assert response.status_code == 404
    assert "Maria-Secret" not in response.content.decode()


def _amparo(*args: str, env: dict[str, str] | None = None, timeout: int = 120):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    full_env.pop("DATABASE_URL", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "amparo", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_amparo_help_lists_its_commands():
    result = _amparo("--help")
    assert result.returncode == 0
    for command in ("demo", "run", "worker", "create-network", "rotate-keys"):
        assert command in result.stdout


def test_run_without_a_master_key_stops_and_names_the_variable(tmp_path):
    result = _amparo(
        "run",
        "--no-serve",
        env={"AMPARO_DATA_DIR": str(tmp_path), "AMPARO_SECRET_KEY": "s" * 50},
    )
    assert result.returncode != 0
    assert "AMPARO_MASTER_KEY" in result.stderr
    assert not (tmp_path / "amparo.sqlite3").exists()  # stopped before touching the database


def test_run_with_a_malformed_index_key_stops(tmp_path):
    result = _amparo(
        "run",
        "--no-serve",
        env={
            "AMPARO_DATA_DIR": str(tmp_path),
            "AMPARO_SECRET_KEY": "s" * 50,
            "AMPARO_MASTER_KEY": "dGVzdC1tYXN0ZXIta2V5LW5vdC1mb3ItcHJvZC11c2U=",
            "AMPARO_INDEX_KEY": "too-short",
        },
    )
    assert result.returncode != 0
    assert "AMPARO_INDEX_KEY" in result.stderr


def test_run_without_a_secret_key_stops(tmp_path):
    result = _amparo("run", "--no-serve", env={"AMPARO_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "AMPARO_SECRET_KEY" in result.stderr


def test_demo_seeds_once_and_prints_logins_for_every_role(tmp_path):
    env = {"AMPARO_DATA_DIR": str(tmp_path)}
    first = _amparo("demo", "--no-serve", env=env)
    assert first.returncode == 0, first.stderr
    roles = (
        "coordinator",
        "dispatcher",
        "hotline",
        "verifier",
        "legal",
        "case-manager",
        "committee",
    )
    for role in (*roles, "fund"):
        assert role in first.stdout
    assert "amparo-demo-2026" in first.stdout
    # every demo login whose roles need two factors has an authenticator key beside it,
    # and `amparo two-factor-code` prints that app's current code (the demo only)
    keys = dict(
        re.findall(r"(\S+@valle\.example)\s.*authenticator key: ([A-Z2-7]{32})", first.stdout)
    )
    assert len(keys) == sum(1 for login in DEMO_PEOPLE if login[3] == "valle")
    code = _amparo("two-factor-code", "dispatcher@valle.example", env=env)
    assert code.returncode == 0, code.stderr
    assert code.stdout.strip() in {
        pyotp.TOTP(keys["dispatcher@valle.example"]).at(time.time() + d) for d in (-30, 0, 30)
    }
    assert (tmp_path / "demo-keys" / "master.key").stat().st_mode & 0o077 == 0
    # an operator's command beside the demo works on the demo's data (issue 14, point 6)
    verify = _amparo("audit", "verify", env=env)
    assert verify.returncode == 0, verify.stderr
    assert "using the demo's data and keys" in verify.stderr
    db = (tmp_path / "amparo.sqlite3").read_bytes()
    assert b"valle.example" not in db and b"Coordinadora" not in db
    assert not any(secret.encode() in db for secret in keys.values())  # sealed
    second = _amparo("demo", "--no-serve", env=env)
    assert second.returncode == 0, second.stderr
    count = _amparo(
        "shell",
        "-c",
        "from amparo.accounts.models import *; from amparo.channels.models import *;"
        "from amparo.people.models import *;"
        "print(User.objects.count(), Delivery.objects.count(), AuditEvent.objects.count(),"
        " Person.objects.count(), Organization.objects.filter(kind='congregation').count(),"
        " Committee.objects.filter(network__slug='valle').count(),"
        " Person.objects.filter(roles__slug='rapid-responder').count(),"
        " Person.objects.filter(roles__slug='hotline').count(), TrainingType.objects.count() > 0)",
        env={
            **env,
            "AMPARO_DEMO": "1",
            "AMPARO_MASTER_KEY_FILE": str(tmp_path / "demo-keys/master.key"),
            "AMPARO_INDEX_KEY_FILE": str(tmp_path / "demo-keys/index.key"),
        },
    )
    assert count.returncode == 0, count.stderr
    last = count.stdout.strip().splitlines()[-1].split()
    users, deliveries, events, people, congregations, committees, rapid, hotline = map(
        int, last[:8]
    )
    # seeding twice texts nobody twice: two welcome texts, the assembly's five invitations
    # (people/demo.py) and the other seeds' 11 texts, once
    assert users == len(DEMO_PEOPLE) and deliveries == 2 + 5 + 11
    assert events > 0
    # DOMAIN.md §1: ~2,000 members, ~800 rapid responders, ~40 hotline, 20 congregations,
    # the worker committee and seven subcommittees; and the legal team's attorneys; and
    # the case team's logins that had no person yet (cases/demo.py: all but the chair)
    case_team = len(CASE_TEAM_PHONES) - 1
    assert people == 2000 + len(DEMO_ATTORNEYS) + case_team
    assert congregations == 20 and committees == 8
    assert rapid == 800 and hotline == 40 and last[8] == "True"
    # the same database started with another master key refuses to run
    wrong = _amparo(
        "run",
        "--no-serve",
        env={
            **env,
            "AMPARO_SECRET_KEY": "s" * 50,
            "AMPARO_MASTER_KEY": "b3RoZXItbWFzdGVyLWtleS1ub3QtdGhlLXJpZ2h0cyE=",
            "AMPARO_INDEX_KEY_FILE": str(tmp_path / "demo-keys/index.key"),
        },
    )
    assert wrong.returncode != 0
    assert "AMPARO_MASTER_KEY does not open the data keys" in wrong.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    result = _amparo(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "AMPARO_DATA_DIR": str(tmp_path),
            "AMPARO_SECRET_KEY": "a-long-random-production-secret-" + "k8Zq" * 10,
            "AMPARO_MASTER_KEY": "dGVzdC1tYXN0ZXIta2V5LW5vdC1mb3ItcHJvZC11c2U=",
            "AMPARO_INDEX_KEY": "dGVzdC1pbmRleC1rZXktLW5vdC1mb3ItcHJvZC11c2U=",
            "AMPARO_ALLOWED_HOSTS": "amparo.example.org",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,  # a text-message route (amparo.W001)
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_benchmark_runs_and_prints_its_result_line():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    result = subprocess.run(
        [sys.executable, "-m", "bench.page_view"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT page_view: dashboard_over_trivial=")
