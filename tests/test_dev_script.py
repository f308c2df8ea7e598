"""`./dev` is the first thing a newcomer runs (`./dev setup`, `./dev demo`): it must at
least parse, or nothing else in the README works."""

import subprocess
from pathlib import Path

DEV = Path(__file__).resolve().parent.parent / "dev"


def test_dev_script_parses():
    result = subprocess.run(["bash", "-n", str(DEV)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_dev_help_runs():
    result = subprocess.run([str(DEV), "--help"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "./dev demo" in result.stdout
