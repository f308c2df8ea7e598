"""Operator commands next to the demo (issue 14, point 6): after `./dev demo`, `./dev
shell` or `./dev audit verify` with no keys configured use the demo's data and keys and
say so in one line; with keys configured it is a real deployment, as before; `run` never
serves the demo's data as a deployment."""

from __future__ import annotations

from amparo.core.tests.test_pages import _amparo
from amparo.lib.crypto.keys import ensure_key_file

SHOW = "from django.conf import settings; print('demo', settings.DEMO, settings.DATA_DIR)"


def _demo_has_run(data_dir):
    for name in ("master.key", "index.key"):
        ensure_key_file(data_dir / "demo-keys" / name)


def test_a_command_beside_the_demo_uses_its_data_and_keys_and_says_so(tmp_path):
    _demo_has_run(tmp_path)
    result = _amparo("shell", "-c", SHOW, env={"AMPARO_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert f"demo True {tmp_path}" in result.stdout
    notice = [line for line in result.stderr.splitlines() if "demo" in line]
    assert len(notice) == 1 and "no keys configured" in notice[0] and str(tmp_path) in notice[0]


def test_with_keys_configured_it_is_a_real_deployment(tmp_path):
    _demo_has_run(tmp_path)
    result = _amparo(
        "shell", "-c", SHOW, env={"AMPARO_DATA_DIR": str(tmp_path), "AMPARO_SECRET_KEY": "s" * 50}
    )
    assert "demo False" in result.stdout and "demo's data" not in result.stderr
    run = _amparo("run", "--no-serve", env={"AMPARO_DATA_DIR": str(tmp_path)})
    assert run.returncode != 0 and "AMPARO_SECRET_KEY" in run.stderr


def test_without_a_demo_nothing_changes(tmp_path):
    result = _amparo("shell", "-c", SHOW, env={"AMPARO_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "AMPARO_SECRET_KEY" in result.stderr
