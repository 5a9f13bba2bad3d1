// What the status line and the preview overlay say, as pure functions of the editor's state.
import { bytes, duration, seconds } from "./format.js";

const SETTLED = {
  complete: "Complete",
  incomplete: "Cut off by the token limit",
  stopped: "Stopped: what was written so far is kept",
  failed: "Failed",
  generating: "Connecting…",
};

// -> { mode: "writing" | a version status | "idle", text }
export function statusLine(live, shown, now = Date.now()) {
  if (live.number !== null) {
    const elapsed = seconds(now - live.started);
    const prefix = shown && live.number === shown.number ? "" : `v${live.number} · `;
    if (live.reconnecting) return { mode: "writing", text: `${prefix}Connection lost, reconnecting…` };
    if (live.phase) return { mode: "writing", text: `${prefix}${live.phase.message} ${elapsed}` };
    if (live.bytes === 0) return { mode: "writing", text: `${prefix}Waiting for the model… ${elapsed}` };
    return { mode: "writing", text: `${prefix}Writing… ${bytes(live.bytes)}, ${elapsed}` };
  }
  if (!shown) return { mode: "idle", text: "" };
  const took = shown.status === "complete" && shown.duration_ms != null ? duration(shown.duration_ms) : null;
  return { mode: shown.status, text: [`v${shown.number}`, SETTLED[shown.status], took].filter(Boolean).join(" · ") };
}

// -> null (no overlay) or { title, text } covering the preview.
export function overlayFor(shown, live, html) {
  if (!shown) return null;
  if (shown.status === "generating" && !(live.number === shown.number && live.previewed)) {
    return { title: "Writing your tool…", text: "The preview fills in as the page arrives." };
  }
  if (shown.status === "failed" && typeof html === "string" && !html.trim()) {
    const why = shown.error || "It failed before any page was written.";
    return { title: "No page for this version", text: `${why} Use Retry in the conversation to try again.` };
  }
  if (shown.status === "stopped" && typeof html === "string" && !html.trim()) {
    return { title: "Stopped before any page was written", text: "The prompt is kept: use Retry in the conversation, or send another." };
  }
  if (shown.status === "incomplete" && typeof html === "string" && !html.trim()) {
    const why = shown.error || "The answer was cut off before it was finished.";
    return { title: "Cut off before any change was made", text: `${why} Use Continue in the conversation.` };
  }
  return null;
}
