"""The scripts a check runs: the page that frames the app, and what it evaluates inside the app's frame."""

from __future__ import annotations

import json
from html import escape

from sandbox.headers import APP_FRAME_ALLOW, APP_SANDBOX

FRAME_PATH = "/v/toolsmith-check"
HOST_PATH = "/toolsmith-check"

# Thumbnails: the laptop-width frame drawn at a quarter of its size.
THUMBNAIL_SCALE = 0.25


def host_page(frame_url: str, width: int, height: int) -> str:
    """The editor's frame and nothing else: the app in an iframe sandboxed as the editor's is, and a
    listener keeping what the bridge reports (docs/bridge.md), from that frame only."""
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8><style>html,body{margin:0;overflow:hidden}"
        f"iframe{{border:0;display:block;width:{width}px;height:{height}px}}"
        f"body.shot iframe{{transform:scale({THUMBNAIL_SCALE});transform-origin:0 0}}</style><script>"
        "window.__reports=[];addEventListener('message',e=>{const f=document.querySelector('iframe');"
        "if(f&&e.source===f.contentWindow&&e.data&&e.data.source==='toolsmith-bridge'&&e.data.type!=='height')__reports.push(e.data)});"
        f'</script></head><body><iframe sandbox="{escape(APP_SANDBOX)}" allow="{escape(APP_FRAME_ALLOW)}" width={width} height={height}></iframe>'
        # The app's scripts may read innerWidth as they start: the frame is laid out at its size
        # (offsetWidth makes the layout happen now) before it is given its address, or a busy
        # browser could start the app in a frame not yet sized, as narrow as nothing.
        f"<script>const f=document.querySelector('iframe');void f.offsetWidth;f.src={json.dumps(frame_url)}</script></body></html>"
    )


# Nothing visible drawn: no visible text, and no visible image, canvas, svg or control.
IS_BLANK = """() => {
  const shown = el => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || r.bottom <= 0 || r.right <= 0) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && Number(s.opacity) > 0;
  };
  const root = document.body || document.documentElement;
  if (!root) return true;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (node.textContent.trim() && parent && !['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(parent.tagName) && shown(parent)) return false;
  }
  for (const el of root.querySelectorAll('img, svg, canvas, video, input, button, select, textarea, progress, meter')) if (shown(el)) return false;
  return true;
}"""

# How often each word that gives a broken page away appears in its visible text.
BAD_WORDS = """() => {
  const text = (document.body || document.documentElement)?.innerText || '';
  const counts = {};
  for (const word of ['NaN', 'undefined', 'Infinity']) counts[word] = (text.match(new RegExp('(^|[^A-Za-z0-9_])' + word + '(?![A-Za-z0-9_])', 'g')) || []).length;
  counts['[object Object]'] = text.split('[object Object]').length - 1;
  return counts;
}"""

# What the smoke interaction would do with an element, and what to call it: null to leave it alone.
DESCRIBE = """el => {
  const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  const tag = el.tagName.toLowerCase(), type = (el.getAttribute('type') || '').toLowerCase();
  if ((r.width < 1 || r.height < 1 || s.visibility === 'hidden' || s.display === 'none' || el.disabled)) return null;
  const words = t => (t || '').replace(/\\s+/g, ' ').trim().slice(0, 60);
  const labelled = el.labels && el.labels[0] ? words(el.labels[0].innerText) : '';
  const name = words(el.getAttribute('aria-label')) || labelled || words(el.innerText) || words(el.value) || words(el.getAttribute('placeholder'))
    || words(el.getAttribute('title')) || words(el.getAttribute('name')) || (el.id ? '#' + el.id : tag);
  if (tag === 'select') return el.options.length ? {action: 'select', name, options: el.options.length} : null;
  if (tag === 'textarea') return el.readOnly ? null : {action: 'type', name, value: '42'};
  if (tag === 'input') {
    if (['', 'text', 'search', 'number', 'tel', 'password'].includes(type)) return el.readOnly ? null : {action: 'type', name, value: '42'};
    if (type === 'email') return el.readOnly ? null : {action: 'type', name, value: 'test@example.com'};
    if (type === 'url') return el.readOnly ? null : {action: 'type', name, value: 'https://example.com'};
    if (['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type)) return {action: 'click', name};
    return null;
  }
  if (tag === 'a') {
    const href = el.getAttribute('href');
    return href === null || href.startsWith('#') || href.toLowerCase().startsWith('javascript:') ? {action: 'click', name} : null;
  }
  return {action: 'click', name};
}"""

CONTROLS = "input, textarea, select, button, a, summary, [role=button], [onclick]"

# The bridge draws alert, confirm and prompt inside the page, modal: the smoke interaction
# answers Cancel to each, as a person who did not mean to would, so the next step can go on.
DISMISS_DIALOGS = """() => {
  let closed = 0;
  for (let round = 0; round < 8; round++) {
    const open = [...document.querySelectorAll('toolsmith-dialog')].map(h => h.shadowRoot && h.shadowRoot.querySelector('dialog')).filter(d => d && d.open);
    if (!open.length) break;
    for (const dialog of open) { dialog.close(''); closed++; }
  }
  return closed;
}"""
