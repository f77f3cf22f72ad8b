"""The whole-suite scan of issue 4 (tests/support/leaks.py) proves itself: a pytest session whose tests log an
ID number and print a mobile number in clear fails, naming each leak and the test it happened in; the same
session with the values masked passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.idcard import mask
from notifications.masking import find_unmasked_phones
from tests.conftest import make_id

ROOT = Path(__file__).resolve().parents[2]
ID = make_id("11010519800101001")
PHONE = "13912345678"

# The inner tests do what a product bug would: log through a configuration that lost the masking processor,
# and print from a CLI command without masking.
INNER = '''
import click
import structlog
from click.testing import CliRunner

from engine import logging as shequ_logging

ID = {id_value!r}
PHONE = {phone_value!r}


def test_logs_an_id_number():
    """Logs an ID number with the masking processor left out of the session's configuration."""
    processors = [p for p in structlog.get_config()["processors"] if p is not shequ_logging.mask_sensitive]
    structlog.configure(processors=processors)
    structlog.get_logger("inner").info("worker_imported", note=f"证件 {{ID}}")


def test_prints_a_phone_number():
    """A CLI command prints a mobile number."""
    result = CliRunner().invoke(click.command()(lambda: click.echo(f"电话 {{PHONE}}")))
    assert result.exit_code == 0
'''


def run_inner(tmp_path: Path, id_value: str, phone_value: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_inner.py").write_text(INNER.format(id_value=id_value, phone_value=phone_value),
                                            encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.support.leaks",
            "--rootdir", str(tmp_path), str(tmp_path / "test_inner.py")]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
def test_a_session_that_leaks_an_id_number_or_a_phone_number_fails_naming_them(tmp_path: Path) -> None:
    """Logged ID number in clear and printed mobile number in clear: the inner session exits 1, each test
    errors at teardown naming its value, and the summary lists both; masked values pass (exit 0)."""
    leaky = run_inner(tmp_path, ID, PHONE)
    out = leaky.stdout
    assert leaky.returncode == 1, out + leaky.stderr
    assert "2 passed, 2 errors" in out
    assert f"{ID} in log (test_inner.py::test_logs_an_id_number)" in out
    assert f"{PHONE} in CLI output (test_inner.py::test_prints_a_phone_number)" in out
    assert "unmasked identifiers (issue 4)" in out

    masked = run_inner(tmp_path, mask(ID), mask(PHONE))
    assert masked.returncode == 0, masked.stdout + masked.stderr
    assert "2 passed" in masked.stdout
    assert "unmasked identifiers" not in masked.stdout


def test_phone_finder_skips_digit_runs_inside_hashes() -> None:
    """A mobile number in clear is found; the same digits inside a hex hash or a longer number are not."""
    assert find_unmasked_phones(f"电话 {PHONE}，") == [PHONE]
    assert find_unmasked_phones(f"hash a{PHONE}f 2{PHONE} {mask(PHONE)}") == []
