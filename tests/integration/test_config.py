"""Configuration order (defaults, WFSURVEY_CONFIG file, WFSURVEY_* variables, create_app override) and the production checks."""
from __future__ import annotations

import pytest

from wfsurvey import ConfigError, create_app
from wfsurvey.paths import CONFIG_DIR
from wfsurvey.settings import DEFAULT_SECRET_KEY, ENV_OVERRIDES, normalise_database_url


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """A developer's own WFSURVEY_* settings must not leak into these tests."""
    for name in ENV_OVERRIDES:
        monkeypatch.delenv(f"WFSURVEY_{name}", raising=False)
    monkeypatch.delenv("WFSURVEY_CONFIG", raising=False)
    monkeypatch.setenv("WFSURVEY_INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'config-test.sqlite'}"


def write_config(tmp_path, body: str):
    path = tmp_path / "site_config.py"
    path.write_text(body)
    return path


def test_defaults_use_sqlite_in_the_instance_folder_and_the_dev_mailbox(tmp_path):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'wfsurvey.sqlite'}"
    assert app.config["SMTP_URL"] is None
    assert app.config["TIMEZONE"] == "America/Los_Angeles"


def test_environment_variables_override_the_defaults_file(monkeypatch, sqlite_url):
    monkeypatch.setenv("WFSURVEY_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WFSURVEY_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("WFSURVEY_SMTP_URL", "smtp://127.0.0.1:2525")
    monkeypatch.setenv("WFSURVEY_MAIL_FROM", "Surveys <surveys@example.org>")
    monkeypatch.setenv("WFSURVEY_BASE_URL", "https://surveys.example.org")
    monkeypatch.setenv("WFSURVEY_TIMEZONE", "America/New_York")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == sqlite_url
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SMTP_URL"] == "smtp://127.0.0.1:2525"
    assert app.config["MAIL_FROM"] == "Surveys <surveys@example.org>"
    assert app.config["BASE_URL"] == "https://surveys.example.org"
    assert app.config["TIMEZONE"] == "America/New_York"


def test_config_file_named_by_wfsurvey_config_is_read_and_the_environment_beats_it(monkeypatch, tmp_path, sqlite_url):
    path = write_config(tmp_path, f'DATABASE_URL = "{sqlite_url}"\nMAIL_FROM = "file <file@example.org>"\n'
                                  'TIMEZONE = "America/Chicago"\nOUTBOX_BATCH_SIZE = 7\n')
    monkeypatch.setenv("WFSURVEY_CONFIG", str(path))
    monkeypatch.setenv("WFSURVEY_TIMEZONE", "America/Denver")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == sqlite_url
    assert app.config["MAIL_FROM"] == "file <file@example.org>"
    assert app.config["OUTBOX_BATCH_SIZE"] == 7
    assert app.config["TIMEZONE"] == "America/Denver"


def test_create_app_override_wins_over_file_and_environment(monkeypatch, tmp_path, sqlite_url):
    monkeypatch.setenv("WFSURVEY_CONFIG", str(write_config(tmp_path, 'BASE_URL = "https://file.example.org"\n')))
    monkeypatch.setenv("WFSURVEY_BASE_URL", "https://env.example.org")
    app = create_app({"DATABASE_URL": sqlite_url, "BASE_URL": "https://override.example.org"})
    assert app.config["BASE_URL"] == "https://override.example.org"


def test_missing_config_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("WFSURVEY_CONFIG", str(tmp_path / "nowhere.py"))
    with pytest.raises(OSError, match="nowhere.py"):
        create_app()


def test_production_refuses_the_default_secret_key(sqlite_url):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": sqlite_url, "SMTP_URL": "smtp://127.0.0.1:25",
                    "SECRET_KEY": DEFAULT_SECRET_KEY})


def test_production_refuses_the_dev_mailbox(sqlite_url):
    with pytest.raises(ConfigError, match="SMTP_URL"):
        create_app({"ENV": "production", "DATABASE_URL": sqlite_url, "SECRET_KEY": "a-real-secret-" + "x" * 32})


def test_production_example_refuses_until_a_secret_key_is_given(monkeypatch, sqlite_url):
    monkeypatch.setenv("WFSURVEY_CONFIG", str(CONFIG_DIR / "production.example.py"))
    monkeypatch.setenv("WFSURVEY_DATABASE_URL", sqlite_url)
    # The example shares rate limits through redis, whose client is not a dependency.
    monkeypatch.setenv("WFSURVEY_RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("WFSURVEY_SECRET_KEY", "a-real-secret-" + "x" * 32)
    app = create_app()
    assert app.config["ENV"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@db.internal/wfsurvey", "postgresql+psycopg://u@db.internal/wfsurvey"),
        ("postgres://u:p@db.internal:5433/wfsurvey", "postgresql+psycopg://u:p@db.internal:5433/wfsurvey"),
        ("postgresql+psycopg://u@db.internal/wfsurvey", "postgresql+psycopg://u@db.internal/wfsurvey"),
        ("sqlite:////var/lib/wfsurvey.sqlite", "sqlite:////var/lib/wfsurvey.sqlite"),
    ],
)
def test_database_urls_are_normalised_to_psycopg(given, expected):
    assert normalise_database_url(given) == expected


def test_postgresql_url_from_the_environment_uses_psycopg(monkeypatch):
    monkeypatch.setenv("WFSURVEY_DATABASE_URL", "postgresql://wfsurvey@db.internal/wfsurvey")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://wfsurvey@db.internal/wfsurvey"
