"""The hostile pages (hostile/*.html), made into whole documents.

Each file in hostile/ is the body of one generated app that tries one way out. The
harness puts a small script before it, which gives the page three calls (and
`describe(error)`, an error's name in a word):

- `attempted()` once the attempt has been fired: the test waits for it, so a page whose
  script never ran cannot pass for a blocked one; `attempted(ms)` when it will be fired
  within `ms` milliseconds (a page that replaces itself at once may take its last console
  message with it), and the test waits that much longer;
- `outcome(text)` what the page could observe of its attempt (an error, "null"...);
- `leak(text)` when the page sees its attempt succeed (an answer, a secret, a window).

They speak through the console, which outlives a frame that navigates away, as
`hostile:<label>:<what>`. Placeholders in a page:

    {{CANARY}}       http://<label>.canary.test:<port>   a host the page names, resolved to the canary
    {{CANARY_HOST}}  <label>.canary.test:<port>
    {{CANARY_IP}}    http://127.0.0.1:<port>             the canary by address, no name to resolve
    {{PORT}}         the canary's TCP and UDP port for this page
    {{MAIN}}         our main origin (http://localhost:N): our pages, our API
    {{SECRET}}       the value planted in our cookies and storage
    {{NAME}}         the page's label: its name, and where it is opened
    {{NESTED}}       nested.html with these placeholders filled, as a JavaScript string: a
                     document that tries every way out, for the page to frame from a blob:,
                     data: or srcdoc of its own (it says `made` itself)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from e2e.escapes.canary import CANARY_DOMAIN

HOSTILE_DIR = Path(__file__).resolve().parent / "hostile"
NESTED = Path(__file__).resolve().parent / "nested.html"

PRELUDE = """<script>
(() => {
  const name = %s;
  const say = (what) => console.log(`hostile:${name}:${what}`);
  window.attempted = (ms) => say(ms ? "made:" + ms : "made");
  window.outcome = (text) => say("outcome:" + text);
  window.leak = (text) => say("leak:" + text);
  window.describe = (error) => (error && (error.name || error.message)) || String(error);
  document.addEventListener("securitypolicyviolation", (e) => say("csp:" + e.effectiveDirective + " " + e.blockedURI));
  window.addEventListener("error", (e) => say("error:" + e.message));
  // What a frame of the page's own said (nested.html), said again here.
  window.addEventListener("message", (e) => {
    const line = e.data && e.data.hostileNested;
    if (typeof line === "string" && line.startsWith(`hostile:${name}:`)) console.log("relayed:" + line);
  });
})();
</script>"""


@dataclass(frozen=True)
class PageValues:
    """The values a hostile page's placeholders take where it is served."""

    canary_port: int
    main: str
    secret: str


def attempt_delay_ms(label: str, text: str) -> int | None:
    """How long after `text` page `label` fires its attempt, if `text` is its report of it."""
    prefix = f"hostile:{label}:made"
    if text == prefix:
        return 0
    if text.startswith(prefix + ":") and text[len(prefix) + 1 :].isdigit():
        return int(text[len(prefix) + 1 :])
    return None


def hostile_names() -> list[str]:
    return sorted(p.stem for p in HOSTILE_DIR.glob("*.html"))


def hostile_page(name: str, values: PageValues, label: str | None = None) -> str:
    """The page of hostile/<name>.html; `label` (default: the name) names its canary host and its messages."""
    body = (HOSTILE_DIR / f"{name}.html").read_text()
    label = label or name
    host = f"{label}.{CANARY_DOMAIN}:{values.canary_port}"
    replacements = {
        "{{CANARY}}": f"http://{host}",
        "{{CANARY_HOST}}": host,
        "{{CANARY_IP}}": f"http://127.0.0.1:{values.canary_port}",
        "{{PORT}}": str(values.canary_port),
        "{{MAIN}}": values.main,
        "{{SECRET}}": values.secret,
        "{{NAME}}": label,
    }

    def fill(text: str) -> str:
        for placeholder, value in replacements.items():
            text = text.replace(placeholder, value)
        return text

    # A string in an inline script, where "</script>" must not end it.
    body = body.replace("{{NESTED}}", json.dumps(fill(NESTED.read_text())).replace("</", "<\\/"))
    body = fill(body)
    assert "{{" not in body, f"hostile/{name}.html has an unknown placeholder"
    return f"<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>hostile: {label}</title>\n{PRELUDE % json.dumps(label)}\n{body}"
