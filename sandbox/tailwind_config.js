// Pages written for the Tailwind Play CDN configure it with `tailwind.config = {...}`.
// The in-browser build of Tailwind 4 that stands in for it reads CSS instead, so the
// common parts of that object (colours, fonts, radii, shadows, class-based dark mode)
// become a <style type="text/tailwindcss"> block once the page's scripts have set it.
(() => {
  window.tailwind = window.tailwind || { config: {} };
  const quote = (font) => (/\s/.test(font) && !/^["']/.test(font) ? `"${font}"` : font);
  const variables = (prefix, value, lines) => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) variables(key === "DEFAULT" ? prefix : `${prefix}-${key}`, inner, lines);
    } else if (Array.isArray(value)) {
      lines.push(`${prefix}: ${value.map(quote).join(", ")};`);
    } else if (typeof value === "string" || typeof value === "number") {
      lines.push(`${prefix}: ${value};`);
    }
    return lines;
  };
  const apply = () => {
    const config = window.tailwind.config || {};
    const theme = { ...(config.theme || {}), ...((config.theme || {}).extend || {}) };
    const lines = [];
    for (const [key, prefix] of [["colors", "--color"], ["fontFamily", "--font"], ["borderRadius", "--radius"], ["boxShadow", "--shadow"]]) {
      if (theme[key]) variables(prefix, theme[key], lines);
    }
    let css = lines.length ? `@theme {\n${lines.join("\n")}\n}\n` : "";
    if (["class", "selector"].includes([].concat(config.darkMode || [])[0])) {
      css += "@custom-variant dark (&:where(.dark, .dark *));\n";
    }
    if (!css) return;
    const style = document.createElement("style");
    style.setAttribute("type", "text/tailwindcss");
    style.textContent = css;
    document.head.append(style);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", apply);
  else apply();
})();
