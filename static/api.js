// Talking to Toolsmith's JSON API. Every failure becomes an ApiError whose message
// is a sentence for people: the server's own message, or ours when it cannot be reached.

export const UNREACHABLE = "Could not reach Toolsmith: is the server still running?";

export class ApiError extends Error {
  constructor(message, { status = 0, code = "network_error" } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

// The page's CSRF token (templates/base.html): every request that changes something carries it.
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content || "";

// `body` is sent as JSON, or as it is when it is a Blob (a file the person chose) with its type.
export async function request(method, url, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (method !== "GET") init.headers["X-CSRF-Token"] = csrfToken;
  if (body instanceof Blob) {
    init.headers["Content-Type"] = body.type || "application/octet-stream";
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(UNREACHABLE);
  }
  if (response.status === 204) return {}; // done, nothing to say (a deletion)
  let data = null;
  try {
    data = await response.json();
  } catch {
    // Not JSON (a proxy's error page, an empty body): fall through to a generic message.
  }
  if (!response.ok) {
    const error = data && data.error;
    if (error && error.message) {
      throw new ApiError(error.message, { status: response.status, code: error.code || "error" });
    }
    throw new ApiError(
      `Toolsmith answered with an unexpected error (HTTP ${response.status}). Try again in a moment.`,
      { status: response.status, code: "http_error" },
    );
  }
  if (data === null) {
    throw new ApiError("Toolsmith sent an answer that could not be read. Try again in a moment.", {
      status: response.status,
      code: "bad_response",
    });
  }
  return data;
}

export const getJSON = (url) => request("GET", url);
export const postJSON = (url, body) => request("POST", url, body);
export const patchJSON = (url, body) => request("PATCH", url, body);
export const deleteJSON = (url) => request("DELETE", url);

// Reads a <script type="application/json" id="..."> block the template rendered.
export function pageData(id) {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : null;
}

// Shows `message` in a role="alert" box right after `anchor`, or removes it when empty.
// The box is created on demand so that at most one error-message exists per form.
export function showError(anchor, message) {
  let box = anchor.nextElementSibling;
  if (!box || !box.classList.contains("form-error")) box = null;
  if (!message) {
    box?.remove();
    return;
  }
  if (!box) {
    box = document.createElement("p");
    box.className = "form-error";
    box.setAttribute("role", "alert");
    box.dataset.testid = "error-message";
    anchor.after(box);
  }
  box.textContent = message;
}
