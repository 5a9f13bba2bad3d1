// The account page: display name, password, and API tokens (made, listed, revoked).
import { ApiError, deleteJSON, pageData, patchJSON, postJSON, showError } from "./api.js";
import { h, stateChip, timeAgo } from "./dom.js";
import { relativeTime } from "./format.js";

const data = pageData("account-data");
const $ = (id) => document.getElementById(id);
const message = (error) => (error instanceof ApiError ? error.message : String(error));

function flash(form, text) {
  const button = form.querySelector('[type="submit"]');
  const label = button.textContent;
  button.textContent = text;
  setTimeout(() => (button.textContent = label), 1600);
}

$("name-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    const { user } = await patchJSON("/api/me", { display_name: $("display-name").value });
    $("display-name").value = user.display_name;
    showError(form, "");
    flash(form, "Saved");
  } catch (error) {
    showError(form, message(error));
  }
});

$("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    await postJSON("/api/me/password", { current: $("current-password")?.value ?? null, new: $("new-password").value });
    // Every session but a new one for this browser has ended; reload for its security token.
    window.location.reload();
  } catch (error) {
    showError(form, message(error));
  }
});


function renderTokens(tokens) {
  const list = $("token-list");
  if (!tokens.length) {
    list.replaceChildren(h("li", { class: "muted small" }, "No tokens yet."));
    return;
  }
  list.replaceChildren(
    ...tokens.map((t) =>
      h(
        "li",
        { class: "token-item", "data-testid": "token-item", "data-state": t.state },
        h("span", { class: "token-name" }, t.name),
        stateChip(t.state),
        h("span", { class: "muted small" }, "made ", timeAgo(t.created_at, relativeTime(t.created_at)),
          t.last_used_at ? ", last used " : "", t.last_used_at ? timeAgo(t.last_used_at, relativeTime(t.last_used_at)) : ""),
        t.state === "active"
          ? h("button", { type: "button", class: "button button-small", onclick: () => revoke(t) }, "Revoke")
          : null,
      ),
    ),
  );
}

async function revoke(token) {
  try {
    const { token: revoked } = await deleteJSON(`/api/tokens/${encodeURIComponent(token.id)}`);
    data.tokens = data.tokens.map((t) => (t.id === revoked.id ? revoked : t));
    renderTokens(data.tokens);
  } catch (error) {
    showError($("token-form"), message(error));
  }
}

$("token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    const answer = await postJSON("/api/tokens", { name: $("token-name").value.trim() });
    data.tokens.push(answer.token);
    renderTokens(data.tokens);
    $("token-name").value = "";
    const secret = $("token-secret");
    secret.hidden = false;
    const copy = h("button", { type: "button", class: "button button-small", "data-testid": "token-copy" }, "Copy");
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(answer.secret);
        copy.textContent = "Copied";
      } catch {
        window.getSelection().selectAllChildren(secret.querySelector("code"));
        copy.textContent = "Press Ctrl+C";
      }
    });
    secret.replaceChildren("Copy it now; it is not shown again: ", h("code", { "data-testid": "token-secret" }, answer.secret), " ", copy);
    showError(form, "");
  } catch (error) {
    showError(form, message(error));
  }
});

renderTokens(data.tokens);
