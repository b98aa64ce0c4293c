import threading

import pytest

from webapp.config import (
    DEFAULT_BASE_URL,
    ConfigError,
    load_secret_key,
    settings_from_environment,
)


def test_defaults_mean_sandbox_mode_with_a_generated_secret(tmp_path):
    settings = settings_from_environment(tmp_path, {})
    assert settings["BRIA_API_TOKEN"] == ""
    assert settings["BRIA_API_BASE_URL"] == DEFAULT_BASE_URL
    assert settings["BRIA_API_TIMEOUT"] == 30.0
    assert len(settings["SECRET_KEY"]) == 64
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'webapp.sqlite3'}"


def test_values_are_read_as_text_so_a_numeric_token_stays_a_string(tmp_path):
    settings = settings_from_environment(
        tmp_path,
        {
            "BRIA_API_TOKEN": "0012345",
            "BRIA_API_BASE_URL": "https://x.example/v1/",
            "BRIA_API_TIMEOUT": "2.5",
            "SECRET_KEY": "s",
        },
    )
    assert settings["BRIA_API_TOKEN"] == "0012345"
    assert settings["BRIA_API_BASE_URL"] == "https://x.example/v1"
    assert settings["BRIA_API_TIMEOUT"] == 2.5
    assert settings["SECRET_KEY"] == "s"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BRIA_API_TIMEOUT", "soon"),
        ("BRIA_API_TIMEOUT", "0"),
        ("BRIA_API_BASE_URL", "engine.example"),
    ],
)
def test_unusable_settings_are_refused_with_their_name(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        settings_from_environment(tmp_path, {name: value})


def test_the_secret_key_is_created_once_and_shared_by_every_worker(tmp_path):
    keys = []
    start = threading.Barrier(8)

    def worker():
        start.wait()
        keys.append(load_secret_key(tmp_path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1
    assert load_secret_key(tmp_path) == keys[0]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
