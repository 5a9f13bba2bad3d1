from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import ENVIRONMENT, ROOT, Settings


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    missing = [name for name in ENVIRONMENT if f"`{name}`" not in doc]
    assert missing == []


def test_defaults_need_no_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.resolved_default_model == "demo"
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'toolsmith.db'}"
    assert settings.resolved_public_url == "http://localhost:8000"
    assert settings.resolved_sandbox_url == "http://127.0.0.1:8001"


def test_keys_choose_the_default_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({"OPENAI_API_KEY": "k"}).resolved_default_model == "openai:gpt-5.4-mini"
    assert Settings.from_env({"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"}).resolved_default_model == "anthropic:claude-sonnet-5-5"
    assert Settings.from_env({"ANTHROPIC_API_KEY": "k", "TOOLSMITH_DEFAULT_MODEL": "demo"}).resolved_default_model == "demo"


def test_endpoints_come_from_toml(tmp_path: Path) -> None:
    config = tmp_path / "toolsmith.toml"
    config.write_text('[endpoints.ollama]\nbase_url = "http://localhost:11434/v1"\nmodels = ["qwen2.5-coder"]\n\n[endpoints.openrouter]\nbase_url = "https://openrouter.ai/api/v1"\nkey_env = "OPENROUTER_API_KEY"\n')
    settings = Settings.from_env({"TOOLSMITH_CONFIG": str(config), "OPENROUTER_API_KEY": "sk-or"})
    ollama, openrouter = settings.endpoints
    assert (ollama.name, ollama.base_url, ollama.key_env_var, ollama.models) == ("ollama", "http://localhost:11434/v1", None, ("qwen2.5-coder",))
    assert (openrouter.key_env_var, openrouter.api_key) == ("OPENROUTER_API_KEY", "sk-or")


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("[endpoints.demo]\nbase_url = 'http://x'\n", "reserved"),
        ("[endpoints.x]\nmodels = []\n", "base_url"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_config_says_what_to_fix(tmp_path: Path, toml: str, words: str) -> None:
    config = tmp_path / "toolsmith.toml"
    config.write_text(toml)
    with pytest.raises(SystemExit, match=words):
        Settings.from_env({"TOOLSMITH_CONFIG": str(config)})


def test_missing_named_config_and_bad_numbers(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="does not exist"):
        Settings.from_env({"TOOLSMITH_CONFIG": str(tmp_path / "nope.toml")})
    with pytest.raises(SystemExit, match="TOOLSMITH_PORT"):
        Settings.from_env({"TOOLSMITH_PORT": "eighty"})
