"""Every error Toolsmith shows a person, as one tree.

    ToolsmithError            (500) something went wrong on our side
    ├── BadRequest            (400) the request cannot be used as sent
    │   ├── InvalidJSON       (400) the body is not a JSON object
    │   ├── InvalidPrompt     (400) empty or too long
    │   ├── InvalidHTML       (400) an imported page that is empty or too large
    │   └── UnknownModel      (400) no such provider or model
    ├── MissingKey            (400) the provider needs a key that is not set
    ├── NotFound              (404) no such app or version
    ├── Conflict              (409) the app is still generating
    └── ProviderError         (502) the model's service failed
        ├── ProviderUnavailable (502) it could not be reached
        ├── ProviderRateLimited (429) it asked us to slow down
        └── ProviderRejected    (502) it refused the request (bad key, bad model name...)

Each carries the HTTP status it is shown with and a message that tells the
person what to do next. Provider SDK exceptions become these at the provider
boundary, so nothing above `app/providers/` imports an SDK.
"""

from __future__ import annotations

__all__ = [
    "ToolsmithError",
    "BadRequest",
    "InvalidJSON",
    "InvalidPrompt",
    "InvalidHTML",
    "UnknownModel",
    "MissingKey",
    "NotFound",
    "Conflict",
    "ProviderError",
    "ProviderUnavailable",
    "ProviderRateLimited",
    "ProviderRejected",
]


class ToolsmithError(Exception):
    """Base of every error we show; 500 unless a subclass says otherwise."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(ToolsmithError):
    """The request cannot be used as sent."""

    status = 400
    code = "bad_request"


class InvalidJSON(BadRequest):
    """The body is not the JSON object the endpoint expects."""

    code = "invalid_json"


class InvalidPrompt(BadRequest):
    """The prompt is empty or longer than the configured limit."""

    code = "invalid_prompt"


class InvalidHTML(BadRequest):
    """An imported page is empty or larger than the configured limit."""

    code = "invalid_html"


class UnknownModel(BadRequest):
    """No configured provider or model has this name."""

    code = "unknown_model"


class MissingKey(ToolsmithError):
    """The chosen provider needs an API key and none is set."""

    status = 400
    code = "missing_key"


class NotFound(ToolsmithError):
    """No app or version at this address."""

    status = 404
    code = "not_found"


class Conflict(ToolsmithError):
    """The request clashes with work already under way."""

    status = 409
    code = "conflict"


class ProviderError(ToolsmithError):
    """The model's service failed while answering."""

    status = 502
    code = "provider_error"


class ProviderUnavailable(ProviderError):
    """The model's service could not be reached or timed out."""

    code = "provider_unavailable"


class ProviderRateLimited(ProviderError):
    """The model's service asked us to slow down (HTTP 429 or overloaded)."""

    status = 429
    code = "rate_limited"


class ProviderRejected(ProviderError):
    """The model's service refused the request: bad key, unknown model, bad input."""

    code = "provider_rejected"
