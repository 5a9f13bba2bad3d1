// The editor's share dialog: make links to the latest or a pinned version, copy them, revoke them.
import { ApiError, deleteJSON, getJSON, patchJSON, postJSON, showError } from "./api.js";
import { h, stateChip } from "./dom.js";
import { absoluteTime, relativeTime } from "./format.js";

const $ = (id) => document.getElementById(id);

function expiry(share) {
  if (share.state === "revoked") return `revoked ${relativeTime(share.revoked_at)}`;
  if (!share.expires_at) return "does not expire";
  return share.state === "expired" ? `expired ${absoluteTime(share.expires_at)}` : `works until ${absoluteTime(share.expires_at)}`;
}

// `versions()` gives the editor's versions now; only finished pages can be pinned.
// `nameChosen`: false while the person's display name is still their user name ("owner"): showing
// it as the author then first asks, once, for the name people should see.
export function setupShareDialog({ appId, versions, authorName, nameChosen = true, opener }) {
  const dialog = $("share-dialog");
  const form = $("share-form");
  const list = $("share-list");
  const pin = $("share-version");
  let shares = [];

  $("share-author-name").textContent = authorName;
  const nameField = $("share-name-field");
  const nameInput = $("share-name");
  const showAuthor = $("share-author");
  const askName = () => (nameField.hidden = !(showAuthor.checked && !nameChosen));
  showAuthor.addEventListener("change", () => {
    askName();
    if (!nameField.hidden) nameInput.focus();
  });

  function fillVersions() {
    const chosen = pin.value;
    const finished = versions().filter((v) => ["complete", "incomplete", "stopped"].includes(v.status) && v.has_page !== false);
    pin.replaceChildren(
      h("option", { value: "" }, "Latest finished version (follows your changes)"),
      ...[...finished].reverse().map((v) => h("option", { value: String(v.number) }, `Version ${v.number} only`)),
    );
    if ([...pin.options].some((o) => o.value === chosen)) pin.value = chosen;
  }

  async function copy(input, button) {
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
    } catch {
      input.select();
      button.textContent = "Press Ctrl+C";
    }
    setTimeout(() => (button.textContent = "Copy"), 1600);
  }

  function item(share) {
    const url = h("input", { class: "input code-font share-url", readonly: true, value: share.url, "aria-label": "Share link", "data-testid": "share-url" });
    const copyButton = h("button", { type: "button", class: "button button-small", "data-testid": "share-copy" }, "Copy");
    copyButton.addEventListener("click", () => copy(url, copyButton));
    url.addEventListener("focus", () => url.select());
    const active = share.state === "active";
    return h(
      "li",
      { class: "share-item", "data-testid": "share-item", "data-state": share.state },
      h("div", { class: "share-row" }, url, active ? copyButton : null),
      h(
        "div",
        { class: "share-row share-meta" },
        stateChip(share.state),
        h("span", {}, share.version ? `Version ${share.version}` : "Latest version"),
        h("span", {}, expiry(share)),
        share.show_author ? h("span", {}, "shows your name") : null,
        h("span", { class: "muted" }, `made ${relativeTime(share.created_at)}`),
        active ? h("button", { type: "button", class: "button button-small share-revoke", "data-testid": "share-revoke", onclick: () => revoke(share) }, "Revoke") : null,
      ),
    );
  }

  function render() {
    list.replaceChildren(...(shares.length ? shares.map(item) : [h("li", { class: "muted small" }, "No links yet.")]));
  }

  async function load() {
    try {
      ({ shares } = await getJSON(`/api/apps/${appId}/shares`));
      render();
    } catch (error) {
      showError(form, error.message);
    }
  }

  async function revoke(share) {
    try {
      const { share: revoked } = await deleteJSON(`/api/apps/${appId}/shares/${encodeURIComponent(share.id)}`);
      shares = shares.map((s) => (s.id === revoked.id ? revoked : s));
      render();
    } catch (error) {
      showError(form, error.message);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(form, "");
    if (!nameField.hidden) {
      const name = nameInput.value.trim();
      if (!name) {
        showError(form, "Type the name people should see as the author, or untick “Show my name”.");
        nameInput.focus();
        return;
      }
      try {
        const { user } = await patchJSON("/api/me", { display_name: name });
        authorName = user.display_name;
        nameChosen = true;
        $("share-author-name").textContent = authorName;
        askName();
      } catch (error) {
        showError(form, error instanceof ApiError ? error.message : String(error));
        return;
      }
    }
    const body = {
      version: pin.value ? Number(pin.value) : null,
      expires_in: $("share-expiry").value ? Number($("share-expiry").value) : null,
      show_author: $("share-author").checked,
    };
    try {
      const { share } = await postJSON(`/api/apps/${appId}/shares`, body);
      shares = [share, ...shares];
      render();
      list.querySelector("[data-testid=share-url]")?.focus();
    } catch (error) {
      showError(form, error instanceof ApiError ? error.message : String(error));
    }
  });

  opener.addEventListener("click", () => {
    fillVersions();
    showError(form, "");
    dialog.showModal();
    load();
  });
  $("share-close").addEventListener("click", () => dialog.close());
}
