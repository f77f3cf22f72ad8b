"""Database settings from the environment (docs/POSTGRESQL.md, "Configuration"): defaults, overrides and
refused values."""

from __future__ import annotations

import pytest

from storage.db import DbSettings, driver_url, is_postgresql


def test_defaults_without_environment() -> None:
    """No SHEQU_DB_* variable: the documented defaults."""
    s = DbSettings.from_env({})
    assert (s.pool_size, s.max_overflow, s.statement_timeout_ms, s.lock_timeout_ms, s.retries) == (
        5, 5, 30_000, 10_000, 5)


def test_each_setting_has_its_variable() -> None:
    """SHEQU_DB_<NAME> sets <name>; an empty value keeps the default."""
    s = DbSettings.from_env({"SHEQU_DB_POOL_SIZE": "20", "SHEQU_DB_STATEMENT_TIMEOUT_MS": "0",
                             "SHEQU_DB_RETRIES": "2", "SHEQU_DB_RETRY_BACKOFF_MS": "", "SHEQU_DB": "x"})
    assert (s.pool_size, s.statement_timeout_ms, s.retries, s.retry_backoff_ms) == (20, 0, 2, 50)


@pytest.mark.parametrize("value", [pytest.param("ten", id="not-a-number"), pytest.param("-1", id="negative"),
                                   pytest.param("1.5", id="fraction")])
def test_a_bad_value_is_refused_at_start(value: str) -> None:
    """A setting that is not a non-negative integer stops the process with the variable's name."""
    with pytest.raises(ValueError, match="SHEQU_DB_LOCK_TIMEOUT_MS"):
        DbSettings.from_env({"SHEQU_DB_LOCK_TIMEOUT_MS": value})


@pytest.mark.parametrize(("url", "expected"), [
    pytest.param("postgresql://u@h/db", "postgresql+psycopg://u@h/db", id="postgresql"),
    pytest.param("postgres://u@h/db", "postgresql+psycopg://u@h/db", id="postgres-alias"),
    pytest.param("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db", id="explicit-driver"),
])
def test_postgresql_urls_mean_psycopg_3(url: str, expected: str) -> None:
    """A PostgreSQL URL without a driver runs on psycopg 3."""
    assert is_postgresql(url)
    assert driver_url(url) == expected


def test_sqlite_is_not_postgresql() -> None:
    """A SQLite URL is left alone."""
    assert not is_postgresql("sqlite:///shequ.db")
    assert driver_url("sqlite:///shequ.db") == "sqlite:///shequ.db"
