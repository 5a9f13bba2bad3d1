// Follows one version's Server-Sent Events. EventSource reconnects by itself with
// Last-Event-ID and the server resumes; we only step in when it gives up.

export function follow(url, handlers) {
  const source = new EventSource(url);
  let finished = false;

  const finish = () => {
    finished = true;
    source.close();
  };
  const parse = (event) => {
    try {
      return JSON.parse(event.data);
    } catch {
      return null;
    }
  };

  source.addEventListener("open", () => handlers.onOpen?.());
  source.addEventListener("status", (event) => {
    const data = parse(event);
    if (data) handlers.onStatus?.(data.status);
  });
  source.addEventListener("delta", (event) => {
    const data = parse(event);
    if (data && data.text) handlers.onDelta?.(data.text);
  });
  // A run that asks the model again: to continue a cut-off answer, or for a whole page after edits that did not fit.
  source.addEventListener("phase", (event) => {
    const data = parse(event);
    if (data) handlers.onPhase?.(data);
  });
  source.addEventListener("done", (event) => {
    finish();
    const data = parse(event);
    handlers.onDone?.(data && data.version);
  });
  // The server's own `error` event carries data; the browser's connection errors do not.
  source.addEventListener("error", (event) => {
    if (finished) return;
    if (event instanceof MessageEvent && event.data) {
      finish();
      const data = parse(event) || {};
      handlers.onError?.(data.error || {}, data.version);
    } else if (source.readyState === EventSource.CLOSED) {
      finish();
      handlers.onLost?.();
    } else {
      handlers.onReconnecting?.();
    }
  });

  return { close: finish };
}
