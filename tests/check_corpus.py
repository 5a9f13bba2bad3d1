"""Pages that work and pages broken the ways models break them, each with the verdict its browser check must give.

`kinds` are the kinds of problem the check must report (at least these; a working page has none);
`step` is a phrase the step of one of them must contain, when the problem comes from an interaction.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    html: str
    status: str  # passed | problems
    kinds: frozenset[str] = frozenset()
    step: str | None = None


def _page(body: str, script: str = "", head: str = "") -> str:
    return f"<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n<title>Case</title>\n{head}\n</head>\n<body>\n{body}\n<script>\n{script}\n</script>\n</body>\n</html>\n"


CASES = (
    Case(
        "counter",
        _page("<h1>Clicks: <span id=n>0</span></h1><button id=add>Add one</button><button id=reset>Reset</button>",
              "let n = 0; add.onclick = () => { n++; document.getElementById('n').textContent = n; };"
              " reset.onclick = () => { n = 0; document.getElementById('n').textContent = n; };"),
        "passed",
    ),
    Case(
        "converter with a select",
        _page("<label>Value <input id=v type=number value=1></label><select id=u><option value=km>km to miles</option><option value=mi>miles to km</option></select>"
              "<p>Result: <output id=out>0.62</output></p>",
              "function go() { const x = Number(v.value) || 0; out.textContent = (u.value === 'km' ? x * 0.621371 : x / 0.621371).toFixed(2); }"
              " v.addEventListener('input', go); u.addEventListener('change', go); go();"),
        "passed",
    ),
    Case(
        "a list whose button adds in script",
        _page("<input id=t placeholder='New task'><button id=add type=button>Add</button><ul id=list></ul>",
              "add.onclick = () => { if (!t.value.trim()) return; const li = document.createElement('li'); li.textContent = t.value; list.append(li); t.value = ''; };"),
        "passed",
    ),
    Case(
        # Forms run their submit handlers in the sandbox (docs/security.md): the task is added.
        "a list that adds on its form's submit event",
        _page("<form id=f><input id=t placeholder='New task'><button>Add</button></form><ul id=list></ul>",
              "f.addEventListener('submit', e => { e.preventDefault(); const li = document.createElement('li'); li.textContent = t.value; list.append(li); });"),
        "passed",
    ),
    Case(
        # The bridge draws the alert inside the page; the check answers it and goes on.
        "a result shown in an alert",
        _page("<input id=a type=number><button id=go>Square it</button>", "go.onclick = () => alert(a.value * a.value);"),
        "passed",
    ),
    Case(
        # No handler: the form would go to a server, which the sandbox stops, and says so.
        "a form that sends its data to a server",
        _page("<form action='https://collect.example/submit' method=post><input name=email placeholder='Email'><button>Subscribe</button></form>", ""),
        "problems",
        frozenset({"blocked"}),
        "clicking “Subscribe”",
    ),
    Case(
        "an error the page catches and shows itself",
        _page("<textarea id=src>{</textarea><button id=fmt>Format</button><pre id=out></pre>",
              "fmt.onclick = () => { try { out.textContent = JSON.stringify(JSON.parse(src.value), null, 2); } catch (e) { out.textContent = 'Invalid JSON: ' + e.message; } };"),
        "passed",
    ),
    Case(
        "storage the sandbox refuses, stood in for by the bridge",
        _page("<p>Visits: <b id=c></b></p>", "const n = Number(localStorage.getItem('visits') || 0) + 1; localStorage.setItem('visits', n); c.textContent = n;"),
        "passed",
    ),
    Case(
        "a vendored library from its CDN address",
        _page("<div id=out></div>", "out.innerHTML = marked.parse('# Hello\\n\\nSome *markdown*.');",
              head="<script src='https://cdn.jsdelivr.net/npm/marked@15.0.12/marked.min.js'></script>"),
        "passed",
    ),
    Case(
        "an error at load",
        _page("<h1>Budget</h1><ul id=items></ul>", "const data = JSON.parse(localStorage.getItem('items')); data.forEach(i => items.append(i));"),
        "problems",
        frozenset({"error"}),
    ),
    Case(
        "a handler that throws on click",
        _page("<h1>Tasks</h1><input id=t><button id=add>Add</button><ul id=list></ul>",
              "add.addEventListener('click', () => { const li = document.createElement('li'); li.textContent = t.value; document.getElementById('tasks').append(li); });"),
        "problems",
        frozenset({"error"}),
        "clicking “Add”",
    ),
    Case(
        "a blank page from a script that stops halfway",
        _page("<div id=app></div>",
              "const app = document.getElementById('app'); const state = loadState(); app.innerHTML = '<h1>Habit tracker</h1>' + render(state);"),
        "problems",
        frozenset({"error", "blank"}),
    ),
    Case(
        "a hang at load",
        _page("<h1>Primes</h1><p id=out></p>", "let n = 2, count = 0; while (count >= 0) { let prime = true; for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false; if (prime) count = (count + 1) % 1000; n = n % 100000 + 1; } out.textContent = count;"),
        "problems",
        frozenset({"hang"}),
    ),
    Case(
        "a hang on click",
        _page("<h1>Fibonacci</h1><button id=go>Compute</button><p id=out></p>", "go.onclick = () => { let a = 0, b = 1; while (b !== 0) { [a, b] = [b, a + b || 1]; } out.textContent = a; };"),
        "problems",
        frozenset({"hang"}),
        "clicking “Compute”",
    ),
    Case(
        "NaN after input",
        _page("<label>Bill <input id=bill></label><label>People <input id=people type=number></label><p>Each pays: <b id=each>0</b></p>",
              "function go() { each.textContent = (parseFloat(bill.value) / parseInt(people.dataset.count)).toFixed(2); } bill.oninput = go; people.oninput = go;"),
        "problems",
        frozenset({"bad_text"}),
        "typing “42”",
    ),
    Case(
        "a missing library",
        _page("<canvas id=c></canvas>", "new Chartist.Line('#c', {labels: [1, 2], series: [[1, 2]]});",
              head="<script src='https://cdn.example.com/chartist/chartist.min.js'></script>"),
        "problems",
        frozenset({"blocked", "error"}),
    ),
    Case(
        "a fetch the sandbox blocks",
        _page("<h1>Weather</h1><p id=out>Loading…</p>", "fetch('https://api.example.com/weather').then(r => r.json()).then(d => { out.textContent = d.temp; });"),
        "problems",
        frozenset({"blocked", "rejection"}),
    ),
    Case(
        "console errors",
        _page("<h1>Quotes</h1><p id=q>…</p>", "const quotes = []; if (!quotes.length) console.error('No quotes loaded'); q.textContent = 'Be kind.';"),
        "problems",
        frozenset({"console_error"}),
    ),
    Case(
        "an error only at phone width",
        _page("<h1>Layout</h1><div id=side></div>", "if (innerWidth < 600) document.querySelector('#sidebar').classList.add('collapsed');"),
        "problems",
        frozenset({"error"}),
        "phone width",
    ),
)
