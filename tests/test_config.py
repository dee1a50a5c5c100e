"""Settings come from POLICYWATCH_* variables and .env, with sane defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from policywatch.config import GOVUK_BASE_URL, Settings


def test_defaults_put_everything_under_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POLICYWATCH_DATA_DIR")
    settings = Settings()
    assert settings.data_dir == Path("data")
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'data' / 'policywatch.db')}"
    assert settings.raw_dir == Path("data") / "raw"
    assert settings.govuk_base_url == GOVUK_BASE_URL
    assert settings.resolved_sources_file.name == "sources.toml"
    assert "mailto:" in settings.full_user_agent


def test_environment_variables_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("POLICYWATCH_CONTACT", "desk@example.org")
    settings = Settings()
    assert settings.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert settings.full_user_agent.endswith("(+mailto:desk@example.org)")


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLICYWATCH_DATA_DIR")
    (tmp_path / ".env").write_text("POLICYWATCH_DATA_DIR=/srv/policywatch\n", encoding="utf-8")
    assert Settings().data_dir == Path("/srv/policywatch")


def test_crawl_rate_cannot_exceed_govuk_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYWATCH_REQUESTS_PER_SECOND", "50")
    with pytest.raises(ValidationError):
        Settings()
