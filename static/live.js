// One version being written: the answer streamed so far, followed to its end.
// EventSource resumes by itself after a dropped connection; when the browser gives up,
// we ask the API where the version stands and start over if it is still being written.
import { getJSON } from "./api.js";
import { byteLength } from "./format.js";
import { follow } from "./stream.js";

export const NOT_LIVE = Object.freeze({
  number: null, text: "", bytes: 0, started: 0, bodyAt: null, previewed: false, reconnecting: false, phase: null, close() {},
});

// hooks: onProgress(), onStatus(status), onDelta(text), onPhase({phase, message}), onRestart(), onProblem(message), onEnd(version)
export function goLive(version, { streamUrl, versionUrl }, hooks) {
  const created = Date.parse(version.created_at);
  const live = {
    number: version.number,
    text: "",
    bytes: 0,
    started: Number.isNaN(created) ? Date.now() : Math.min(created, Date.now()),
    bodyAt: null, // bytes received when the page's <body> began: the preview has something to show
    previewed: false,
    reconnecting: false,
    phase: null, // {phase: "continue" | "retry", message} once the model is asked again
    closed: false,
    source: null,
    close() {
      this.closed = true;
      this.source?.close();
    },
  };

  const end = (final) => {
    if (live.closed) return;
    live.close();
    hooks.onEnd(final);
  };

  const open = () => {
    live.source = follow(streamUrl, {
      onOpen() {
        live.reconnecting = false;
        hooks.onProgress();
      },
      onReconnecting() {
        live.reconnecting = true;
        hooks.onProgress();
      },
      onStatus: (status) => hooks.onStatus(status),
      onDelta(text) {
        live.text += text;
        live.bytes += byteLength(text);
        if (live.bodyAt === null && /<body[\s>]/i.test(live.text.slice(-text.length - 6))) live.bodyAt = live.bytes;
        hooks.onDelta(text);
      },
      onPhase(phase) {
        live.phase = phase;
        hooks.onPhase?.(phase);
        hooks.onProgress();
      },
      onDone: (done) => end(done || { ...version, status: "complete" }),
      onError: (error, failed) =>
        end({ ...(failed || version), status: failed?.status || "failed", error: error.message || failed?.error }),
      onLost: recover,
    });
  };

  async function recover() {
    if (live.closed) return;
    try {
      const { version: now } = await getJSON(versionUrl);
      if (now.status !== "generating") return end(now);
      setTimeout(() => {
        if (live.closed) return;
        Object.assign(live, { text: "", bytes: 0, bodyAt: null, reconnecting: false, phase: null });
        hooks.onRestart();
        open(); // a fresh EventSource: the server replays the answer from the start
      }, 2000);
    } catch (error) {
      hooks.onProblem(error.message);
      setTimeout(recover, 3000);
    }
  }

  open();
  return live;
}
