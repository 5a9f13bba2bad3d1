// The app's name in the editor's header: renaming it (PATCH /api/apps/{id}) and deleting the app
// (DELETE /api/apps/{id}, after one question). A page's <title> names the app until it is renamed here.
import { deleteJSON, patchJSON, showError } from "./api.js";

export function setupAppTitle({ appId, title, renameButton, deleteButton, dialog, announce, onRenamed }) {
  const form = document.getElementById("rename-form");
  const input = document.getElementById("rename-input");

  function editing(on) {
    form.hidden = !on;
    title.hidden = on;
    renameButton.hidden = on;
    if (on) {
      input.value = title.textContent.trim();
      input.focus();
      input.select();
    } else {
      showError(input, "");
    }
  }

  renameButton.addEventListener("click", () => editing(true));
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      editing(false);
      renameButton.focus();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (name === title.textContent.trim()) {
      editing(false);
      renameButton.focus();
      return;
    }
    try {
      const { app } = await patchJSON(`/api/apps/${appId}`, { title: name });
      onRenamed(app);
      editing(false);
      renameButton.focus();
      announce(`Renamed to “${app.title}”.`);
    } catch (error) {
      showError(input, error.message);
      input.focus();
    }
  });
  form.querySelector("[data-action=cancel]").addEventListener("click", () => {
    editing(false);
    renameButton.focus();
  });

  const confirm = dialog.querySelector("[data-testid=delete-confirm]");
  const problem = dialog.querySelector(".dialog-problem");
  deleteButton.addEventListener("click", () => {
    dialog.querySelector("#delete-dialog-name").textContent = title.textContent.trim();
    problem.textContent = "";
    dialog.showModal();
    dialog.querySelector("[data-action=cancel]").focus();
  });
  dialog.querySelector("[data-action=cancel]").addEventListener("click", () => dialog.close());
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      await deleteJSON(`/api/apps/${appId}`);
      window.location.assign("/apps");
    } catch (error) {
      problem.textContent = error.message;
      confirm.disabled = false;
    }
  });
}
