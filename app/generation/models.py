"""The models people can pick, named `provider:model`, and the provider that serves each."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import MissingKey, UnknownModel
from app.generation.providers.anthropic import AnthropicProvider
from app.generation.providers.base import Provider
from app.generation.providers.demo import DemoProvider
from app.generation.providers.openai import OpenAIProvider
from app.settings import Settings

# Suggested in the picker; any other model name of these providers is accepted too.
ANTHROPIC_MODELS = ("claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5")
OPENAI_MODELS = ("gpt-5.4-mini", "gpt-5.5", "gpt-4.1-mini")


@dataclass(frozen=True)
class ModelInfo:
    """One entry of the model picker and of `toolsmith models`."""

    id: str  # "anthropic:claude-sonnet-5-5", "ollama:qwen2.5-coder", "demo"
    provider: str
    label: str
    key_env_var: str | None
    has_key: bool
    is_demo: bool = False

    @property
    def usable(self) -> bool:
        return self.has_key or self.key_env_var is None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "provider": self.provider,
            "label": self.label,
            "key_env_var": self.key_env_var,
            "usable": self.usable,
            "is_demo": self.is_demo,
        }


class ModelRegistry:
    """Builds one provider per configured service and resolves model ids to them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        retries, timeout = settings.provider_retries, settings.provider_timeout
        self.providers: dict[str, Provider] = {
            "demo": DemoProvider(delay=settings.demo_delay),
            "anthropic": AnthropicProvider(
                api_key=settings.anthropic_api_key,
                base_url=settings.anthropic_base_url,
                max_retries=retries,
                timeout=timeout,
            ),
            "openai": OpenAIProvider(
                name="openai",
                api_key=settings.openai_api_key,
                base_url=settings.openai_base_url,
                key_env_var="OPENAI_API_KEY",
                max_retries=retries,
                timeout=timeout,
            ),
        }
        for endpoint in settings.endpoints:
            self.providers[endpoint.name] = OpenAIProvider(
                name=endpoint.name,
                api_key=endpoint.api_key,
                base_url=endpoint.base_url,
                key_env_var=endpoint.key_env_var,
                max_retries=retries,
                timeout=timeout,
            )
        self._suggested: dict[str, tuple[str, ...]] = {
            "anthropic": ANTHROPIC_MODELS,
            "openai": OPENAI_MODELS,
            **{e.name: e.models for e in settings.endpoints},
        }

    def _has_key(self, provider: str) -> bool:
        if provider == "anthropic":
            return bool(self.settings.anthropic_api_key)
        if provider == "openai":
            return bool(self.settings.openai_api_key)
        for endpoint in self.settings.endpoints:
            if endpoint.name == provider:
                return endpoint.key_env_var is None or bool(endpoint.api_key)
        return True

    def list(self) -> list[ModelInfo]:
        """Every suggested model, demo first, with whether its key is set."""
        infos = [ModelInfo("demo", "demo", "Offline demo (not an LLM)", None, True, is_demo=True)]
        for provider, names in self._suggested.items():
            key_env = self.providers[provider].key_env_var
            for name in names:
                infos.append(ModelInfo(f"{provider}:{name}", provider, f"{provider}: {name}", key_env, self._has_key(provider)))
        return infos

    def resolve(self, model_id: str) -> tuple[Provider, str]:
        """The provider for `model_id` and the model name to send it; errors name the fix."""
        model_id = model_id.strip()
        if model_id == "demo":
            return self.providers["demo"], "demo"
        provider_name, sep, model = model_id.partition(":")
        provider = self.providers.get(provider_name)
        if not sep or not model or provider is None or provider_name == "demo":
            known = ", ".join(sorted(p for p in self.providers if p != "demo"))
            raise UnknownModel(
                f"Unknown model {model_id!r}. Name a model as provider:model, with provider one of {known}, "
                "or pick 'demo'. `toolsmith models` lists them."
            )
        if provider.needs_key and not self._has_key(provider_name):
            raise MissingKey(
                f"No key for {provider_name}: set {provider.key_env_var} and restart Toolsmith, or pick another model."
            )
        return provider, model

    async def close(self) -> None:
        """Close every provider's client and connections."""
        for provider in self.providers.values():
            await provider.close()

    def is_demo(self, model_id: str) -> bool:
        return model_id.strip() == "demo"
