// Preview / Code tabs, plus Chat on phones where the panes stack.
// The view lives in `main[data-view]`; CSS shows the matching panel.

const PHONE = window.matchMedia("(max-width: 899px)");

export function setupTabs(main, onChange) {
  const tabs = [...main.querySelectorAll('[role="tab"]')];
  const visible = () => tabs.filter((tab) => tab.offsetParent !== null);

  function select(view, { focus = false } = {}) {
    if (view === "chat" && !PHONE.matches) view = "preview";
    main.dataset.view = view;
    for (const tab of tabs) {
      const on = tab.dataset.view === view;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    }
    onChange?.(view);
  }

  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab.dataset.view));
    tab.addEventListener("keydown", (event) => {
      const list = visible();
      const i = list.indexOf(tab);
      let next = null;
      if (event.key === "ArrowRight") next = list[(i + 1) % list.length];
      else if (event.key === "ArrowLeft") next = list[(i - 1 + list.length) % list.length];
      else if (event.key === "Home") next = list[0];
      else if (event.key === "End") next = list[list.length - 1];
      if (next) {
        event.preventDefault();
        select(next.dataset.view, { focus: true });
      }
    });
  }
  PHONE.addEventListener("change", () => select(main.dataset.view));
  select(main.dataset.view || "preview");
  return { select, get view() { return main.dataset.view; }, isPhone: () => PHONE.matches };
}
