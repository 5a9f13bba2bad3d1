// Stop: ends the version being written (POST /api/apps/{id}/versions/{n}/cancel). The server keeps its
// prompt and what was written so far; the version's stream then ends for every tab that follows it.
import { postJSON } from "./api.js";

// writing() -> the number of the version being written here, or null
export function setupStop(button, { appId, writing, announce }) {
  let stopping = null;
  button.addEventListener("click", async () => {
    const n = writing();
    if (n === null || stopping === n) return;
    stopping = n;
    render();
    announce(`Stopping version ${n}…`);
    try {
      await postJSON(`/api/apps/${appId}/versions/${n}/cancel`, {});
    } catch (error) {
      // 409: it finished on its own meanwhile; the stream says how.
      if (error.status !== 409) announce(error.message);
    } finally {
      stopping = null;
      render();
    }
  });

  function render() {
    const n = writing();
    button.hidden = n === null;
    button.disabled = n !== null && stopping === n;
    button.querySelector(".button-label").textContent = stopping === n && n !== null ? "Stopping…" : "Stop";
    button.setAttribute("aria-label", n === null ? "Stop" : `Stop writing version ${n}`);
  }

  render();
  return { render };
}
