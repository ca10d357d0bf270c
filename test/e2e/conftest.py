"""Shared fixtures for end-to-end tests: the binary under test and scratch directories."""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cardinalsin_bin() -> str:
    """Path of the `cardinalsin` binary: $CARDINALSIN_BIN, else the debug build."""
    path = os.environ.get("CARDINALSIN_BIN", str(REPO / "build/debug/cmd/cardinalsin/cardinalsin"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"cardinalsin binary not found at {path}; build it or set CARDINALSIN_BIN")
    return path


@pytest.fixture
def run(cardinalsin_bin, tmp_path):
    """Runs `cardinalsin <args>` with a clean environment rooted in a fresh directory."""

    def _run(*args, env=None, input=None, check=None):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("CS_TEST_", "AWS_", "S3_"))}
        full_env.update(env or {})
        proc = subprocess.run(
            [cardinalsin_bin, *args],
            cwd=tmp_path,
            env=full_env,
            input=input,
            capture_output=True,
            timeout=120,
        )
        if check is not None:
            assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
        return proc

    return _run
