// Toolsmith's runtime bridge: the first script of every page the sandbox host serves.
// The protocol is in docs/bridge.md; sandbox/bridge.py injects this file as one line and calls
// it with the editor's origin and where it was inserted, so every other line keeps its number.
//
// Written to be joined into one line: statements end with semicolons, comments stand on their
// own lines and use only "//". The page around it is untrusted and may replace anything here;
// the bridge is a convenience for the person, the editor trusts none of it.
(function (HOST, LINE, COLUMN, LENGTH) {
  "use strict";
  try {
    // No HOST (a downloaded page): nobody to tell; the bridge only stands in for storage.
    var host = HOST && window.parent !== window ? window.parent : null;
    var MAX_REPORTS = 50;
    var reports = 0;
    var seen = new Set();

    var post = function (type, data) {
      if (!host) return;
      data.source = "toolsmith-bridge";
      data.v = 1;
      data.type = type;
      try {
        host.postMessage(data, HOST);
      } catch (e) {
        // A value the page handed us that cannot be cloned: drop the report, never the page.
      }
    };

    var describe = function (value) {
      try {
        if (typeof value === "string") return value;
        if (value instanceof Error) return value.name + ": " + value.message;
        var json = JSON.stringify(value);
        return json === undefined ? String(value) : json;
      } catch (e) {
        try {
          return String(value);
        } catch (e2) {
          return "(a value that cannot be shown)";
        }
      }
    };

    var clip = function (value, max) {
      var text = describe(value);
      return text.length > max ? text.slice(0, max - 1) + "\u2026" : text;
    };

    // Columns on the line that holds this script moved right by its length: give the page's own.
    var column = function (line, col) {
      return line === LINE && col > COLUMN + LENGTH ? col - LENGTH : col;
    };

    var count = function (value) {
      return typeof value === "number" && value >= 0 && value <= 1e7 ? Math.floor(value) : 0;
    };

    // At most MAX_REPORTS problems per page load, each told once: a page stuck in a loop of
    // errors must not flood the editor.
    var report = function (type, key, make) {
      if (reports >= MAX_REPORTS || seen.has(key)) return;
      seen.add(key);
      reports += 1;
      post(type, make());
    };

    var guard = function (handler) {
      return function (event) {
        try {
          handler(event);
        } catch (e) {
          // The bridge must never add errors of its own to the page's.
        }
      };
    };

    addEventListener("error", guard(function (event) {
      if (!(event instanceof ErrorEvent) || reports >= MAX_REPORTS) return;
      var error = event.error;
      var message = clip(event.message || describe(error), 2000);
      var line = count(event.lineno);
      var col = column(line, count(event.colno));
      report("error", "e" + message + "@" + line + ":" + col, function () {
        return {
          message: message,
          filename: clip(event.filename || "", 2000),
          line: line,
          column: col,
          stack: clip(error && typeof error.stack === "string" ? error.stack : "", 8000),
        };
      });
    }), true);

    addEventListener("unhandledrejection", guard(function (event) {
      if (reports >= MAX_REPORTS) return;
      var reason = event.reason;
      var message = clip(reason, 2000);
      report("rejection", "r" + message, function () {
        return { message: message, stack: clip(reason && typeof reason.stack === "string" ? reason.stack : "", 8000) };
      });
    }));

    var consoleError = console.error;
    console.error = function () {
      try {
        if (reports < MAX_REPORTS) {
          var parts = [];
          for (var i = 0; i < arguments.length && i < 20; i++) parts.push(describe(arguments[i]));
          var message = clip(parts.join(" "), 2000);
          report("console-error", "c" + message, function () {
            return { message: message };
          });
        }
      } catch (e) {
        // Logging goes on below whatever happened here.
      }
      return consoleError.apply(this, arguments);
    };

    document.addEventListener("securitypolicyviolation", guard(function (event) {
      if (reports >= MAX_REPORTS) return;
      var directive = clip(event.effectiveDirective || event.violatedDirective || "", 100);
      var blocked = clip(event.blockedURI || "", 2000);
      report("csp-violation", "s" + directive + " " + blocked, function () {
        var line = count(event.lineNumber);
        return {
          directive: directive,
          blockedURI: blocked,
          line: line,
          column: column(line, count(event.columnNumber)),
          sourceFile: clip(event.sourceFile || "", 2000),
          sample: clip(event.sample || "", 200),
        };
      });
    }), true);

    // The height of the content, sent when it changes, at most every 100 ms.
    var height = -1;
    var heightTimer = 0;
    var sendHeight = function () {
      heightTimer = 0;
      var now = Math.min(1e6, Math.ceil(document.documentElement.getBoundingClientRect().height));
      if (now !== height) {
        height = now;
        post("height", { height: now });
      }
    };
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(function () {
        if (!heightTimer) heightTimer = setTimeout(sendHeight, 100);
      }).observe(document.documentElement);
    }

    // Pick mode: the element under the pointer is outlined; a click reports it instead of
    // reaching the page; Escape cancels.
    var outline = null;
    var BLOCKED = ["pointerdown", "pointerup", "mousedown", "mouseup", "click", "dblclick", "auxclick", "contextmenu", "touchstart", "touchend"];

    var selectorOf = function (el) {
      var parts = [];
      while (el && el.nodeType === 1 && parts.length < 5) {
        var tag = el.tagName.toLowerCase();
        if (el.id) {
          parts.unshift(tag + "#" + CSS.escape(el.id));
          break;
        }
        var part = tag;
        if (tag === "html" || tag === "body") {
          parts.unshift(part);
          break;
        }
        var classes = typeof el.className === "string" ? el.className.trim().split(/\s+/) : [];
        for (var i = 0; i < classes.length && i < 2; i++) if (classes[i]) part += "." + CSS.escape(classes[i]);
        var parent = el.parentElement;
        if (parent) {
          var same = Array.prototype.filter.call(parent.children, function (child) {
            return child.tagName === el.tagName;
          });
          if (same.length > 1) part += ":nth-of-type(" + (same.indexOf(el) + 1) + ")";
        }
        parts.unshift(part);
        el = parent;
      }
      return parts.join(" > ");
    };

    var textOf = function (el) {
      var text = typeof el.innerText === "string" ? el.innerText : el.textContent || "";
      if (!text.trim()) {
        text = el.getAttribute("aria-label") || el.getAttribute("placeholder") || el.getAttribute("alt") || el.getAttribute("title") || "";
        if (!text && typeof el.value === "string") text = el.value;
      }
      return text.replace(/\s+/g, " ").trim();
    };

    var onPointer = guard(function (event) {
      var el = event.target;
      if (!outline || !el || el.nodeType !== 1) return;
      var box = el.getBoundingClientRect();
      outline.style.display = "block";
      outline.style.left = box.left + "px";
      outline.style.top = box.top + "px";
      outline.style.width = box.width + "px";
      outline.style.height = box.height + "px";
    });

    var onBlocked = guard(function (event) {
      event.stopImmediatePropagation();
      // Cancelling a touch would also cancel the click that follows it.
      if (event.type.indexOf("touch") !== 0) event.preventDefault();
      var el = event.target;
      if (event.type !== "click" || !el || el.nodeType !== 1) return;
      picking(false);
      post("picked", {
        selector: clip(selectorOf(el), 1000),
        tag: el.tagName.toLowerCase().slice(0, 100),
        text: clip(textOf(el), 300),
        html: clip(el.outerHTML, 2000),
      });
    });

    var onKey = guard(function (event) {
      if (event.key !== "Escape") return;
      event.preventDefault();
      event.stopImmediatePropagation();
      picking(false);
      post("pick-cancel", {});
    });

    var picking = function (on) {
      if (on === (outline !== null)) return;
      var listen = on ? addEventListener : removeEventListener;
      listen("pointermove", onPointer, true);
      listen("keydown", onKey, true);
      for (var i = 0; i < BLOCKED.length; i++) listen(BLOCKED[i], onBlocked, true);
      if (on) {
        outline = document.createElement("div");
        outline.style.cssText = "position:fixed;z-index:2147483647;display:none;pointer-events:none;box-sizing:border-box;" +
          "border:2px solid #4f46e5;border-radius:3px;background:rgba(79,70,229,.12)";
        document.documentElement.appendChild(outline);
      } else {
        outline.remove();
        outline = null;
      }
    };

    // Messages from the editor: only from our parent, only from the editor's origin. The page's
    // own listeners do not see them.
    addEventListener("message", guard(function (event) {
      var data = event.data;
      if (!host || event.source !== host || event.origin !== HOST) return;
      if (!data || data.source !== "toolsmith-host" || data.v !== 1) return;
      event.stopImmediatePropagation();
      if (data.type === "ping" && typeof data.nonce === "string") post("pong", { nonce: data.nonce.slice(0, 100) });
      else if (data.type === "pick-mode") picking(data.on === true);
    }), true);

    // ---- What the sandbox stops, said instead of silent; dialogs and saves it allows ----
    // `action` is one of docs/bridge.md's words (the editor writes the sentence); `target` is
    // the address or the name involved.
    var blocked = function (action, target) {
      report("blocked", "b" + action + " " + target, function () {
        return { action: action, target: clip(target, 2000) };
      });
    };

    var pageUrl = function () {
      return location.href.split("#")[0];
    };

    // Files the page made: an object URL's Blob, kept from its creation, as apps often revoke
    // the URL right after clicking the link that saves it.
    var MAX_SAVE_BYTES = 20 * 1024 * 1024;
    var blobs = new Map();
    var createObjectURL = URL.createObjectURL;
    var revokeObjectURL = URL.revokeObjectURL;
    URL.createObjectURL = function (object) {
      var url = createObjectURL.apply(URL, arguments);
      if (object instanceof Blob && blobs.size < 1000) blobs.set(url, object);
      return url;
    };
    URL.revokeObjectURL = function (url) {
      blobs.delete(String(url));
      return revokeObjectURL.apply(URL, arguments);
    };

    var fileName = function (link, url) {
      var named = link.getAttribute("download") || "";
      if (!named) {
        var path = url.split(/[?#]/)[0];
        named = url.indexOf("blob:") === 0 || url.indexOf("data:") === 0 ? "" : path.slice(path.lastIndexOf("/") + 1);
      }
      return clip(named || "download", 200);
    };

    // The file goes to the page around the app (the editor, the share view, the top-level view),
    // which offers to save it; the person decides. Nothing else may be downloaded.
    var save = function (link) {
      var url = link.href;
      var name = fileName(link, url);
      var kept = blobs.get(url);
      var made = kept ? Promise.resolve(kept) : /^(blob|data):/i.test(url) ? fetch(url).then(function (r) { return r.blob(); }) : null;
      if (!made) {
        blocked("download", url);
        return;
      }
      made.then(function (blob) {
        if (!host) {
          // A downloaded copy opened from disk has no page around it to save the file.
          ask("alert", "This app made a file (" + name + "), but a downloaded copy cannot save files. Open the app in Toolsmith to save it.");
          return null;
        }
        if (blob.size > MAX_SAVE_BYTES) {
          blocked("file-too-big", name);
          return null;
        }
        return blob.arrayBuffer().then(function (bytes) {
          post("save", { name: name, mime: clip(blob.type || "", 200), bytes: bytes });
        });
      }).catch(function () {
        blocked("download", name);
      });
    };

    // A click on a link: saves go to the host, other pages and windows are refused and said.
    // Runs after the page's own handlers: a link whose click the page handles stays the page's.
    var onLink = guard(function (event) {
      if (event.defaultPrevented || event.type !== "click") return;
      var el = event.target;
      var link = el && el.closest ? el.closest("a[href], area[href]") : null;
      if (!link) return;
      var url = link.href;
      if (/^javascript:/i.test(url)) return;
      if (link.hasAttribute("download")) {
        event.preventDefault();
        save(link);
        return;
      }
      var target = (link.getAttribute("target") || "").toLowerCase();
      // A fragment of this page, or this page again (a reload): the app stays.
      if (url.split("#")[0] === pageUrl() && (target === "" || target === "_self")) return;
      event.preventDefault();
      blocked(target && target !== "_self" && target !== "_parent" && target !== "_top" ? "popup" : "navigation", url);
    });
    addEventListener("click", onLink);

    // Links that are not in the document (`a.click()` on a made-up link) never reach the window.
    var anchorClick = HTMLAnchorElement.prototype.click;
    var dispatch = EventTarget.prototype.dispatchEvent;
    var detached = function (el, run) {
      if (!(el instanceof HTMLAnchorElement) || el.isConnected) return run();
      el.addEventListener("click", onLink);
      try {
        return run();
      } finally {
        el.removeEventListener("click", onLink);
      }
    };
    HTMLAnchorElement.prototype.click = function () {
      var self = this;
      var args = arguments;
      return detached(self, function () {
        return anchorClick.apply(self, args);
      });
    };
    EventTarget.prototype.dispatchEvent = function (event) {
      var self = this;
      var args = arguments;
      if (!event || event.type !== "click") return dispatch.apply(self, args);
      return detached(self, function () {
        return dispatch.apply(self, args);
      });
    };

    window.open = function (url) {
      blocked("popup", url === undefined ? "" : String(url));
      return null;
    };

    // Forms run their handlers; one that would still go somewhere (no handler, or one that
    // does not call preventDefault) is stopped here, before the policy would blank the page.
    var formTarget = function (form, submitter) {
      var action = submitter && submitter.hasAttribute && submitter.hasAttribute("formaction") ? submitter.formAction : form.action;
      return action || pageUrl();
    };
    var formMethod = function (form, submitter) {
      var method = submitter && submitter.hasAttribute && submitter.hasAttribute("formmethod") ? submitter.formMethod : form.method;
      return String(method || "get").toLowerCase();
    };
    addEventListener("submit", guard(function (event) {
      var form = event.target;
      // An event the page made up submits nothing.
      if (event.defaultPrevented || !event.isTrusted || !(form instanceof HTMLFormElement)) return;
      if (formMethod(form, event.submitter) === "dialog") return;
      event.preventDefault();
      blocked("form", formTarget(form, event.submitter));
    }));
    var formSubmit = HTMLFormElement.prototype.submit;
    HTMLFormElement.prototype.submit = function () {
      if (formMethod(this, null) === "dialog") return formSubmit.apply(this, arguments);
      blocked("form", formTarget(this, null));
    };

    // alert, confirm and prompt, drawn inside the app (the sandbox has no browser dialogs:
    // docs/security.md says why). They cannot stop the script as the browser's do, so confirm
    // and prompt answer "Cancel" at once; when the person then chooses OK, the click or key
    // press that asked is run again and this time gets their answer.
    var MAX_WAITING = 3;
    var waiting = [];
    var showing = false;
    var loop = false;
    var replaying = null;
    var REPLAYED = /^(click|dblclick|submit|keydown|keyup|keypress|change|input|pointerup|mouseup|touchend)$/;

    var drawDialog = function (item) {
      showing = true;
      var holder = document.createElement("toolsmith-dialog");
      var root = holder.attachShadow({ mode: "open" });
      var dialog = document.createElement("dialog");
      var style = document.createElement("style");
      style.textContent = "dialog{font:15px/1.45 system-ui,sans-serif;color:#16191f;background:#fff;border:1px solid #c9ced6;" +
        "border-radius:10px;padding:18px 20px;max-width:min(92vw,440px);box-shadow:0 10px 30px rgba(0,0,0,.25)}" +
        "dialog::backdrop{background:rgba(15,18,23,.35)}p{margin:0 0 12px;white-space:pre-wrap;overflow-wrap:anywhere}" +
        ".from{font-size:12px;color:#565e6c;margin-bottom:6px}input{font:inherit;width:100%;box-sizing:border-box;" +
        "padding:6px 8px;margin:0 0 12px;border:1px solid #8a93a2;border-radius:6px}div{display:flex;gap:8px;justify-content:flex-end}" +
        "button{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid #8a93a2;background:#fff;color:#16191f;cursor:pointer}" +
        "button.ok{background:#4f46e5;border-color:#4f46e5;color:#fff}button:focus-visible,input:focus-visible{outline:3px solid #a5b4fc;outline-offset:1px}";
      var from = document.createElement("p");
      from.className = "from";
      from.textContent = "This app asks";
      var text = document.createElement("p");
      text.textContent = item.message;
      dialog.append(from, text);
      var input = null;
      if (item.kind === "prompt") {
        input = document.createElement("input");
        input.value = item.initial;
        input.setAttribute("aria-label", item.message || "Answer");
        dialog.append(input);
      }
      var buttons = document.createElement("div");
      var ok = document.createElement("button");
      ok.className = "ok";
      ok.textContent = "OK";
      if (item.kind !== "alert") {
        var cancel = document.createElement("button");
        cancel.textContent = "Cancel";
        cancel.addEventListener("click", function () {
          dialog.close("");
        });
        buttons.append(cancel);
      }
      buttons.append(ok);
      dialog.append(buttons);
      ok.addEventListener("click", function () {
        dialog.close("ok");
      });
      if (input) {
        input.addEventListener("keydown", function (event) {
          if (event.key === "Enter") {
            event.preventDefault();
            dialog.close("ok");
          }
        });
      }
      root.append(style, dialog);
      dialog.addEventListener("close", function () {
        holder.remove();
        showing = false;
        if (dialog.returnValue === "ok" && item.again) item.again(item.kind === "prompt" ? input.value : true);
        if (waiting.length) drawDialog(waiting.shift());
      });
      // What the person does in the dialog is not the page's business: its listeners hear nothing.
      ["click", "dblclick", "pointerdown", "pointerup", "mousedown", "mouseup", "keydown", "keyup", "keypress", "input", "change"].forEach(function (type) {
        holder.addEventListener(type, function (event) {
          event.stopPropagation();
        });
      });
      document.documentElement.appendChild(holder);
      dialog.showModal();
      (input || ok).focus();
    };

    var ask = function (kind, message, answer, initial) {
      message = message === undefined ? "" : clip(message, 2000);
      if (replaying && replaying.kind === kind && replaying.message === message) {
        var given = replaying.value;
        replaying = null;
        return given;
      }
      var item = { kind: kind, message: message, initial: initial === undefined ? "" : String(initial), again: null };
      var event = window.event;
      if (kind !== "alert") {
        if (!event || !REPLAYED.test(event.type) || !event.target || typeof event.target.dispatchEvent !== "function") {
          // Asked at load or from a timer: nothing to run again with the answer.
          blocked("dialog", kind + "(" + JSON.stringify(message.slice(0, 200)) + ")");
          return answer;
        }
        var target = event.target;
        var type = event.type;
        var Kind = event.constructor;
        var init = event;
        item.again = function (value) {
          replaying = { kind: kind, message: message, value: value };
          try {
            dispatch.call(target, new Kind(type, init));
          } finally {
            replaying = null;
          }
        };
      }
      // A page that asks faster than anyone answers gets a few dialogs, then none until it reloads.
      if (loop) return answer;
      if (!showing) drawDialog(item);
      else if (waiting.length < MAX_WAITING) waiting.push(item);
      else {
        loop = true;
        blocked("dialog-loop", kind);
      }
      return answer;
    };
    window.alert = function (message) {
      ask("alert", message, undefined);
    };
    window.confirm = function (message) {
      return ask("confirm", message, false);
    };
    window.prompt = function (message, value) {
      return ask("prompt", message, null, value);
    };

    // Storage the app cannot have, told to the person as something the sandbox stopped.
    var refused = function (what) {
      blocked("storage", what);
    };

    // Saved data. The page around the frame (the editor, a share link's viewer) hands in what the
    // app kept as the frame's name, which the new document reads before any of its scripts run:
    // "toolsmith-data:" + JSON {page, quota, local, session}. It is taken only by the page at the
    // address it was meant for (another page this frame is sent to gets nothing) and the name is
    // emptied at once. Each change goes back as a "storage" message with everything kept, and the
    // page around keeps it (docs/bridge.md "Saved data"): the editor, a share link's viewer, the
    // top-level view of a raw address. No such name (a download): memory only, for this page load.
    var PREFIX = "toolsmith-data:";
    var given = null;
    try {
      var name = window.name;
      if (typeof name === "string" && name.indexOf(PREFIX) === 0) {
        window.name = "";
        var parsed = JSON.parse(name.slice(PREFIX.length));
        if (parsed && typeof parsed === "object" && parsed.page === location.pathname) given = parsed;
      }
    } catch (e) {
      // A name that is not ours, or not JSON: start empty.
    }
    var quota = given && typeof given.quota === "number" && given.quota >= 0 ? given.quota : 5000000;
    var areas = {};
    var pending = {};

    var send = function (area) {
      pending[area] = 0;
      post("storage", { area: area, items: Array.from(areas[area].items) });
    };

    var changed = function (area) {
      // Many writes in one task (a loop of setItem) become one message.
      if (given && !pending[area]) pending[area] = setTimeout(function () { send(area); }, 0);
    };

    var memoryStorage = function (area, initial) {
      var items = new Map();
      var chars = 0;
      if (initial && typeof initial === "object") {
        Object.keys(initial).forEach(function (key) {
          if (typeof initial[key] !== "string") return;
          items.set(key, initial[key]);
          chars += key.length + initial[key].length;
        });
      }
      var put = function (key, value) {
        var now = chars - (items.has(key) ? key.length + items.get(key).length : 0) + key.length + value.length;
        if (now > quota) {
          refused(area + "Storage beyond its quota of " + quota + " characters, refused with QuotaExceededError");
          throw new DOMException("The quota of " + quota + " characters for this app's " + area + "Storage has been exceeded.", "QuotaExceededError");
        }
        items.set(key, value);
        chars = now;
        changed(area);
      };
      var remove = function (key) {
        if (!items.has(key)) return;
        chars -= key.length + items.get(key).length;
        items.delete(key);
        changed(area);
      };
      var api = {
        getItem: function (key) {
          key = String(key);
          return items.has(key) ? items.get(key) : null;
        },
        setItem: function (key, value) {
          put(String(key), String(value));
        },
        removeItem: function (key) {
          remove(String(key));
        },
        clear: function () {
          if (!items.size) return;
          items.clear();
          chars = 0;
          changed(area);
        },
        key: function (index) {
          var keys = Array.from(items.keys());
          index = Number(index) >>> 0;
          return index < keys.length ? keys[index] : null;
        },
      };
      var own = function (key) {
        return typeof key === "string" && !Object.prototype.hasOwnProperty.call(api, key);
      };
      areas[area] = { items: items };
      return new Proxy(api, {
        get: function (target, key) {
          if (key === "length") return items.size;
          if (!own(key)) return target[key];
          return items.has(key) ? items.get(key) : undefined;
        },
        set: function (target, key, value) {
          if (typeof key !== "string") return false;
          put(key, String(value));
          return true;
        },
        has: function (target, key) {
          return items.has(key) || key in target;
        },
        deleteProperty: function (target, key) {
          remove(key);
          return true;
        },
        ownKeys: function () {
          return Array.from(items.keys());
        },
        getOwnPropertyDescriptor: function (target, key) {
          if (!items.has(key)) return undefined;
          return { value: items.get(key), writable: true, enumerable: true, configurable: true };
        },
      });
    };

    [["localStorage", "local"], ["sessionStorage", "session"]].forEach(function (pair) {
      try {
        void window[pair[0]];
        return;
      } catch (e) {
        var storage = memoryStorage(pair[1], given && given[pair[1]]);
        Object.defineProperty(window, pair[0], { value: storage, configurable: true, enumerable: true });
      }
    });

    if (given) {
      // What is not yet sent goes now; and a reload of this frame by the app itself
      // (location.reload()) finds its data in the name again. The name is written at beforeunload:
      // Chromium runs pagehide once the next document has its name already, and a name set then
      // never reaches it.
      var leaving = guard(function () {
        Object.keys(pending).forEach(function (area) {
          if (pending[area]) {
            clearTimeout(pending[area]);
            send(area);
          }
        });
        var kept = { page: location.pathname, quota: quota };
        Object.keys(areas).forEach(function (area) {
          kept[area] = Object.fromEntries(areas[area].items);
        });
        window.name = PREFIX + JSON.stringify(kept);
      });
      addEventListener("beforeunload", leaving);
      addEventListener("pagehide", leaving);
    }

    // IndexedDB and Cache Storage belong to an origin, and this one is opaque: opening a database
    // throws a SecurityError the app can catch. Said to the person too.
    try {
      if (typeof IDBFactory === "function") {
        ["open", "deleteDatabase"].forEach(function (method) {
          var original = IDBFactory.prototype[method];
          IDBFactory.prototype[method] = function () {
            try {
              return original.apply(this, arguments);
            } catch (e) {
              if (!e || e.name !== "SecurityError") throw e;
              refused("IndexedDB, refused with a SecurityError; localStorage is kept instead");
              throw e;
            }
          };
        });
      }
    } catch (e) {
      // Nothing to wrap.
    }

    // Service workers need an origin: the getter throws here. Feature checks
    // ('serviceWorker' in navigator) should answer no instead.
    try {
      void navigator.serviceWorker;
    } catch (e) {
      try {
        delete Navigator.prototype.serviceWorker;
      } catch (e2) {
        // Left as it is.
      }
    }

    // A worker's script must share the page's origin, which is opaque here, so a worker started
    // from one of our vendored files (pdf.js's) is started from a blob: that loads the file.
    try {
      var NativeWorker = window.Worker;
      var vendored = location.origin + "/vendor/";
      if (typeof NativeWorker === "function" && typeof Reflect === "object") {
        var StandIn = function Worker(url, options) {
          var href = "";
          try {
            href = new URL(String(url), location.href).href;
          } catch (e) {
            // Not a URL: the browser says so below.
          }
          if (href.indexOf(vendored) === 0) {
            var code = options && options.type === "module" ? "import " + JSON.stringify(href) + ";" : "importScripts(" + JSON.stringify(href) + ");";
            url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
          }
          return Reflect.construct(NativeWorker, [url, options], new.target || NativeWorker);
        };
        StandIn.prototype = NativeWorker.prototype;
        Object.defineProperty(window, "Worker", { value: StandIn, configurable: true, writable: true });
      }
    } catch (e) {
      // Workers as the browser has them.
    }

    // Pyodide (vendored: the interpreter and the standard library, not its packages). Its own
    // loadPackage only logs a package it could not fetch, and the app goes on without it; here
    // loadPackage and loadPackagesFromImports reject instead, with an error the app can catch, and
    // the person is told. pyodide.js and pyodide.mjs both hand their settings to the global
    // _createPyodideModule of pyodide.asm.js and get the API back as settings.API.public_api:
    // internal names of the release we serve (0.29), which e2e/test_vendored_libraries.py checks.
    try {
      var packageError = function (names) {
        names.forEach(function (name) {
          blocked("package", name);
        });
        var error = new Error("The Python package" + (names.length > 1 ? "s " : " ") + names.join(", ") + (names.length > 1 ? " are" : " is") +
          " not available here: this app runs offline, with Python's standard library only.");
        error.packages = names;
        return error;
      };
      // The packages Pyodide says it failed to load, from the lines it writes to errorCallback.
      var loading = function (load) {
        return function (names, options) {
          var failed = [];
          var own = options && typeof options.errorCallback === "function" ? options.errorCallback : null;
          var settings = Object.assign({ checkIntegrity: true }, options, {
            errorCallback: function (line) {
              var found = /^The following error occurred while loading (.+):$/.exec(String(line));
              if (found) failed.push(found[1]);
              if (own) own(line);
              else console.warn(line);
            },
          });
          return load.call(this, names, settings).then(function (loaded) {
            if (failed.length) throw packageError(failed);
            return loaded;
          });
        };
      };
      var patchPyodide = function (pyodide) {
        if (!pyodide || typeof pyodide.loadPackage !== "function") return;
        pyodide.loadPackage = loading(pyodide.loadPackage);
        if (typeof pyodide.loadPackagesFromImports === "function") pyodide.loadPackagesFromImports = loading(pyodide.loadPackagesFromImports);
      };
      // Packages named in loadPyodide({packages}) load as it starts: said once it is ready.
      var checkStartPackages = function (api, pyodide) {
        var wanted = api.config && Array.isArray(api.config.packages) ? api.config.packages.filter(function (name) { return typeof name === "string"; }) : [];
        if (!wanted.length || !api.packageIndexReady || typeof api.packageIndexReady.then !== "function") return;
        api.packageIndexReady.then(function () {
          var loaded = Object.keys(pyodide.loadedPackages || {}).map(function (name) { return name.toLowerCase().replace(/[-_.]+/g, "-"); });
          wanted.forEach(function (name) {
            if (loaded.indexOf(name.toLowerCase().replace(/[-_.]+/g, "-")) < 0) blocked("package", name);
          });
        }, function () {});
      };
      var created;
      Object.defineProperty(window, "_createPyodideModule", {
        configurable: true,
        get: function () {
          return created;
        },
        set: function (make) {
          created = typeof make !== "function" ? make : function (settings) {
            var api = settings && settings.API;
            if (api && typeof api === "object") {
              var publicApi;
              Object.defineProperty(api, "public_api", {
                configurable: true,
                enumerable: true,
                get: function () {
                  return publicApi;
                },
                set: function (value) {
                  publicApi = value;
                  try {
                    patchPyodide(value);
                    checkStartPackages(api, value);
                  } catch (e) {
                    // Pyodide as it is.
                  }
                },
              });
            }
            return make.apply(this, arguments);
          };
        },
      });
    } catch (e) {
      // Pyodide as it is.
    }

    try {
      void document.cookie;
    } catch (e) {
      var jar = new Map();
      Object.defineProperty(document, "cookie", {
        configurable: true,
        enumerable: true,
        get: function () {
          return Array.from(jar, function (item) {
            return item[0] ? item[0] + "=" + item[1] : item[1];
          }).join("; ");
        },
        set: function (text) {
          text = String(text);
          var pair = text.split(";")[0];
          var eq = pair.indexOf("=");
          var name = eq < 0 ? "" : pair.slice(0, eq).trim();
          var maxAge = /;\s*max-age\s*=\s*(-?\d+)/i.exec(text);
          var expires = /;\s*expires\s*=\s*([^;]*)/i.exec(text);
          if ((maxAge && Number(maxAge[1]) <= 0) || (expires && Date.parse(expires[1]) <= Date.now())) jar.delete(name);
          else jar.set(name, pair.slice(eq + 1).trim());
        },
      });
    }

    post("ready", {});
  } catch (e) {
    // Whatever went wrong, the page runs as if the bridge were not there.
  }
})
