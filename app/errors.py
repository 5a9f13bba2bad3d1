"""Every error Toolsmith shows a person, as one tree.

    ToolsmithError            (500) something went wrong on our side
    ├── BadRequest            (400) the request cannot be used as sent
    │   ├── InvalidJSON       (400) the body is not a JSON object
    │   ├── InvalidPrompt     (400) empty or too long
    │   ├── InvalidHTML       (400) an imported page that is empty or too large
    │   ├── InvalidBundle     (400) an imported folder or zip that cannot be read safely
    │   ├── InvalidTitle      (400) an app name that is empty, too long or not text
    │   ├── UnknownModel      (400) no such provider or model
    │   ├── BeyondTheDemo     (400) a change the offline demo cannot make (no version is made)
    │   ├── InvalidAppData    (400) saved data of an app that is not an object of strings
    │   ├── InvalidSuite      (400) an eval suite file with mistakes (the line and what is wrong)
    │   └── BadHost           (400) a Host header the service does not answer to
    ├── MissingKey            (400) the provider needs a key that is not set
    ├── Unauthorized          (401) not signed in, or an API token that is wrong, expired or revoked
    ├── Forbidden             (403) refused as sent
    │   └── CSRFFailed        (403) a state-changing request that did not come from our own page
    ├── NotFound              (404) no such app, version or share, or not yours
    ├── Conflict              (409) the app is still generating
    ├── ChecksUnavailable     (409) evals need the browser checks, which are off here or have no Chromium
    ├── QuotaExceeded         (413) an app's saved data is larger than the quota
    ├── BundleTooLarge        (413) an imported folder or zip past a size limit
    ├── TooManyAttempts       (429) too many failed sign-ins for one user name
    ├── TooManyStreams        (429) one person has as many streams open as allowed
    ├── QueueUnavailable      (503) the queue of generations (Redis) could not be reached
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
    "BadHost",
    "BadRequest",
    "BeyondTheDemo",
    "BundleTooLarge",
    "CSRFFailed",
    "ChecksUnavailable",
    "Conflict",
    "Forbidden",
    "InvalidAppData",
    "InvalidBundle",
    "InvalidHTML",
    "InvalidJSON",
    "InvalidPrompt",
    "InvalidSuite",
    "InvalidTitle",
    "MissingKey",
    "NotFound",
    "ProviderError",
    "ProviderRateLimited",
    "ProviderRejected",
    "ProviderUnavailable",
    "QueueUnavailable",
    "QuotaExceeded",
    "TooManyAttempts",
    "TooManyStreams",
    "ToolsmithError",
    "Unauthorized",
    "UnknownModel",
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


class InvalidBundle(BadRequest):
    """An imported folder or zip that cannot be read safely: no page, names that leave it, a broken zip."""

    code = "invalid_bundle"


class InvalidTitle(BadRequest):
    """An app's new name is empty, longer than the limit, or holds characters that are not text."""

    code = "invalid_title"


class UnknownModel(BadRequest):
    """No configured provider or model has this name."""

    code = "unknown_model"


class BeyondTheDemo(BadRequest):
    """The offline demo cannot make this change (or any fix); a real model can."""

    code = "beyond_the_demo"


class InvalidAppData(BadRequest):
    """What an app asked to keep is not an object whose keys and values are strings."""

    code = "invalid_app_data"


class InvalidSuite(BadRequest):
    """An eval suite that cannot be run: the message names the line and what is wrong."""

    code = "invalid_suite"


class BadHost(BadRequest):
    """The Host header names a host this service does not answer to (DNS rebinding, a stray proxy)."""

    code = "bad_host"


class MissingKey(ToolsmithError):
    """The chosen provider needs an API key and none is set."""

    status = 400
    code = "missing_key"


class Unauthorized(ToolsmithError):
    """Nobody is signed in, or the API token sent is wrong, expired or revoked."""

    status = 401
    code = "unauthorized"


class Forbidden(ToolsmithError):
    """The request is refused as sent, whoever sends it."""

    status = 403
    code = "forbidden"


class CSRFFailed(Forbidden):
    """A state-changing browser request without our page's origin and security token."""

    code = "csrf_failed"


class NotFound(ToolsmithError):
    """No app, version or share at this address, or it is not yours: the two look the same."""

    status = 404
    code = "not_found"


class QuotaExceeded(ToolsmithError):
    """An app's saved data would be larger than the quota of one app for one person."""

    status = 413
    code = "quota_exceeded"


class BundleTooLarge(ToolsmithError):
    """An imported folder or zip past a limit: one file, all files, or how many (app.versions.bundle)."""

    status = 413
    code = "bundle_too_large"


class Conflict(ToolsmithError):
    """The request clashes with work already under way."""

    status = 409
    code = "conflict"


class ChecksUnavailable(ToolsmithError):
    """Evals run their checks in Chromium, and here there is none, or checks are turned off.

    A 4xx, not a 503: it is how this server is set up, and asking again changes nothing until its
    owner turns checks on (TOOLSMITH_CHECKS, TOOLSMITH_CHROMIUM)."""

    status = 409
    code = "checks_unavailable"


class TooManyAttempts(ToolsmithError):
    """Sign-in for this user name is paused after too many wrong passwords."""

    status = 429
    code = "too_many_attempts"


class TooManyStreams(ToolsmithError):
    """One person has TOOLSMITH_STREAMS_PER_PERSON version streams open already."""

    status = 429
    code = "too_many_streams"
class QueueUnavailable(ToolsmithError):
    """The queue that hands generations to workers could not be reached."""

    status = 503
    code = "queue_unavailable"


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
