"""A real deployment's first commands (README "A real deployment"): create-network and
add-login come before `amparo run`, on a data directory nothing has migrated yet."""

from __future__ import annotations

from amparo.core.tests.test_pages import _amparo

KEYS = {
    "AMPARO_SECRET_KEY": "s" * 50,
    "AMPARO_MASTER_KEY": "dGVzdC1tYXN0ZXIta2V5LW5vdC1mb3ItcHJvZC11c2U=",
    "AMPARO_INDEX_KEY": "dGVzdC1pbmRleC1rZXktLW5vdC1mb3ItcHJvZC11c2U=",
}


def test_create_network_and_add_login_on_a_fresh_data_directory(tmp_path):
    env = {"AMPARO_DATA_DIR": str(tmp_path), **KEYS}
    created = _amparo(
        "create-network", "valle", "--name", "Red", "--coordinator", "c@example.org", env=env
    )
    assert created.returncode == 0, created.stderr
    assert "Created network 'valle'" in created.stdout and "/accounts/" in created.stdout
    added = _amparo("add-login", "valle", "b@example.org", "--roles", "coordinator", env=env)
    assert added.returncode == 0, added.stderr
    assert "Login added." in added.stdout


def test_create_network_without_keys_names_the_variable(tmp_path):
    env = {"AMPARO_DATA_DIR": str(tmp_path), "AMPARO_SECRET_KEY": "s" * 50}
    result = _amparo("create-network", "valle", "--name", "R", "--coordinator", "c@x.org", env=env)
    assert result.returncode != 0 and "AMPARO_MASTER_KEY" in result.stderr
    assert "Traceback" not in result.stderr
