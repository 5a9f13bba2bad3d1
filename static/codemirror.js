// CodeMirror 6 set up as the editor's code view (static/vendor, loaded through the page's import map):
// line numbers, HTML/CSS/JS highlighting, search (Ctrl+F), wrapping on narrow screens; read-only
// until editing is switched on, when the same view takes typing, Tab indents and Ctrl+S saves.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { html } from "@codemirror/lang-html";
import { HighlightStyle, bracketMatching, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { highlightSelectionMatches, openSearchPanel, search, searchKeymap } from "@codemirror/search";
import { Compartment, EditorState } from "@codemirror/state";
import { EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers, placeholder } from "@codemirror/view";
import { tags as t } from "@lezer/highlight";

// Colours for the dark code background of style.css (--code-bg), readable in light and dark mode.
const colours = HighlightStyle.define([
  { tag: [t.tagName, t.angleBracket], color: "#7cc7ff" },
  { tag: t.attributeName, color: "#c9a6ff" },
  { tag: [t.attributeValue, t.string, t.special(t.string)], color: "#a5e0a0" },
  { tag: [t.comment, t.meta], color: "#8a91ab", fontStyle: "italic" },
  { tag: [t.keyword, t.modifier, t.operatorKeyword, t.controlKeyword, t.definitionKeyword], color: "#ff9ecb" },
  { tag: [t.number, t.bool, t.null, t.atom, t.unit], color: "#ffc27a" },
  { tag: [t.propertyName, t.function(t.variableName), t.function(t.propertyName)], color: "#8fd3ff" },
  { tag: [t.className, t.typeName, t.labelName], color: "#ffd580" },
  { tag: t.invalid, color: "#ff8a80" },
]);

const theme = EditorView.theme(
  {
    "&": { height: "100%", backgroundColor: "var(--code-bg)", color: "var(--code-text)", fontSize: "12.5px", borderRadius: "12px" },
    "&.cm-focused": { outline: "2px solid var(--accent)", outlineOffset: "2px" },
    ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.6", borderRadius: "12px" },
    ".cm-content": { padding: "12px 0", caretColor: "#fff" },
    ".cm-gutters": { backgroundColor: "transparent", color: "var(--code-faint)", border: "none", borderRight: "1px solid rgb(255 255 255 / 0.08)" },
    ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "rgb(255 255 255 / 0.04)" },
    "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": { backgroundColor: "rgb(99 132 255 / 0.45) !important" },
    ".cm-cursor": { borderLeftColor: "#fff" },
    ".cm-placeholder": { color: "var(--code-faint)", fontFamily: "var(--font)" },
    ".cm-searchMatch": { backgroundColor: "rgb(255 213 128 / 0.35)", outline: "1px solid rgb(255 213 128 / 0.6)" },
    ".cm-searchMatch-selected": { backgroundColor: "rgb(255 170 60 / 0.6)" },
    ".cm-selectionMatch": { backgroundColor: "rgb(255 255 255 / 0.1)" },
    ".cm-panels": { backgroundColor: "var(--surface)", color: "var(--text)", borderRadius: "0 0 12px 12px" },
    ".cm-panels.cm-panels-top": { borderBottom: "1px solid var(--border)", borderRadius: "12px 12px 0 0" },
    ".cm-panel.cm-search": { fontFamily: "var(--font)", fontSize: "13px", padding: "6px 8px" },
    ".cm-panel.cm-search input, .cm-panel.cm-search button": { fontSize: "13px" },
  },
  { dark: true },
);

// The view lives in a shadow root of `host`: CodeMirror's styles then go into a constructed style
// sheet, which the main origin's CSP (style-src 'self', no inline styles) lets through, where the
// <style> element it would add to the document is refused. CSS variables still reach in.
// hooks: onChange(text), onSelection(), onSave()
export function createCodeMirror(host, { label, narrow, onChange, onSelection, onSave }) {
  const parent = host.attachShadow({ mode: "open" });
  const editing = new Compartment();
  const wrapping = new Compartment();
  const hint = new Compartment();
  const readOnly = [
    EditorState.readOnly.of(true),
    // Focusable for the keyboard and searchable, but a tap on a phone does not open its keyboard.
    EditorView.contentAttributes.of({ inputmode: "none", "aria-readonly": "true" }),
  ];
  const writable = [history(), indentOnInput(), keymap.of([...historyKeymap, indentWithTab])];
  const view = new EditorView({
    parent,
    root: parent,
    state: EditorState.create({
      doc: "",
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        drawSelection(),
        highlightActiveLine(),
        bracketMatching(),
        highlightSelectionMatches(),
        search({ top: true }),
        html(),
        syntaxHighlighting(colours),
        theme,
        keymap.of([{ key: "Mod-s", preventDefault: true, run: () => (onSave?.(), true) }, ...searchKeymap, ...defaultKeymap]),
        EditorView.contentAttributes.of({ "aria-label": label }),
        editing.of(readOnly),
        wrapping.of(narrow.matches ? EditorView.lineWrapping : []),
        hint.of([]),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !update.state.readOnly) onChange?.(update.state.doc.toString());
          if (update.selectionSet) onSelection?.();
        }),
      ],
    }),
  });
  narrow.addEventListener("change", () => view.dispatch({ effects: wrapping.reconfigure(narrow.matches ? EditorView.lineWrapping : []) }));

  return {
    view,
    get text() {
      return view.state.doc.toString();
    },
    get lineCount() {
      return view.state.doc.lines;
    },
    setText(text, { atEnd = false } = {}) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: atEnd ? text.length : 0 } });
      view.scrollDOM.scrollTop = atEnd ? view.scrollDOM.scrollHeight : 0;
    },
    append(text) {
      const s = view.scrollDOM;
      const following = s.scrollTop + s.clientHeight >= s.scrollHeight - 48;
      view.dispatch({ changes: { from: view.state.doc.length, insert: text } });
      if (following) s.scrollTop = s.scrollHeight;
    },
    setPlaceholder(text) {
      view.dispatch({ effects: hint.reconfigure(text ? placeholder(text) : []) });
    },
    setEditable(on) {
      view.dispatch({ effects: editing.reconfigure(on ? writable : readOnly) });
    },
    // The lines a non-empty selection covers: {start_line, end_line}, or null.
    selectedLines() {
      const { from, to } = view.state.selection.main;
      if (from === to) return null;
      const doc = view.state.doc;
      const first = doc.lineAt(from).number;
      let last = doc.lineAt(to).number;
      if (last > first && doc.line(last).from === to) last -= 1; // a selection that ends at the start of a line
      return { start_line: first, end_line: last };
    },
    selectAll() {
      view.dispatch({ selection: { anchor: 0, head: view.state.doc.length } });
    },
    search() {
      openSearchPanel(view);
    },
    focus() {
      view.focus();
    },
  };
}
