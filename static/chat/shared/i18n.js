/* Translation helpers: a dictionary per language, "{name}" placeholders,
 * and the data-i18n attributes of a page. */

/** Fill "{name}" placeholders from `vars`; unknown ones stay as written. */
export function interpolate(template, vars) {
  let s = String(template);
  if (vars) {
    s = s.replace(/\{(\w+)\}/g, (m, name) =>
      Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m);
  }
  return s;
}

/** t(key, vars) over `strings` = {en: {...}, es: {...}}: the current
 * language (`getLang()`), else `fallback`'s, else the key itself. */
export function makeTranslator(strings, getLang, fallback = "en") {
  return function t(key, vars) {
    const lang = getLang();
    const s = (strings[lang] && strings[lang][key]) || (strings[fallback] && strings[fallback][key]) || key;
    return interpolate(s, vars);
  };
}

/** Pick a supported language ("es-MX" → "es"), else the first supported. */
export function pickLanguage(wanted, supported = ["en", "es"]) {
  const base = String(wanted || "").toLowerCase().split(/[-_]/)[0];
  return supported.indexOf(base) !== -1 ? base : supported[0];
}

/** Translate `root`'s [data-i18n] (text), [data-i18n-placeholder] and
 * [data-i18n-aria-label] elements with `t`. */
export function applyTranslations(root, t) {
  root.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = t(el.getAttribute("data-i18n"));
  });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    el.setAttribute("placeholder", t(el.getAttribute("data-i18n-placeholder")));
  });
  root.querySelectorAll("[data-i18n-aria-label]").forEach((el) => {
    el.setAttribute("aria-label", t(el.getAttribute("data-i18n-aria-label")));
  });
}
