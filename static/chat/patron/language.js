/* The page in English or Spanish: data-i18n texts (shared
 * applyTranslations), the status choices, the residency question, and the
 * language toggle. */
import { applyTranslations } from "../shared/i18n.js";
import { $, t, show, page, config, formatWhen } from "./context.js";
import { STRINGS, US_STATES, US_STATES_ES } from "./strings.js";
import { session } from "./session.js";
import { renderStatus } from "./status.js";
import { updateCounter } from "./composer.js";

/* The service area is a state code ("FL"), postcodes ("32601, 32603") or
 * a name ("Florida"): ask the question in words a patron recognises. */
export function areaQuestion(area) {
  const code = area.toUpperCase();
  if (/^[A-Z]{2}$/.test(code) && US_STATES[code]) {
    const name = page.lang === "es" ? (US_STATES_ES[code] || US_STATES[code]) : US_STATES[code];
    return t("residentLegend", { area: name });
  }
  if (/^[0-9][0-9\s,;-]*$/.test(area)) {
    return t("residentPostcodes", { codes: area.split(/[\s,;]+/).filter(Boolean).join(", ") });
  }
  return t("residentLegend", { area });
}

function fillStatuses() {
  const select = $("patron-status");
  const current = select.value;
  select.textContent = "";
  const blank = document.createElement("option");
  blank.value = "";
  blank.textContent = t("statusChoose");
  select.appendChild(blank);
  (config.statuses || []).forEach((pair) => {
    const o = document.createElement("option");
    o.value = pair[0];
    o.textContent = (STRINGS[page.lang].statuses || {})[pair[0]] || pair[1];
    select.appendChild(o);
  });
  select.value = current;
}

export function applyLanguage() {
  document.documentElement.lang = page.lang;
  applyTranslations(document, t);
  const toggle = $("lang-toggle");
  toggle.textContent = t("otherLang");
  toggle.setAttribute("lang", page.lang === "es" ? "en" : "es");
  document.title = t("title") + " · " + (config.name || "");
  fillStatuses();
  const area = String(config.service_area || "").trim();
  show($("resident-field"), !!area);
  $("resident-legend").textContent = areaQuestion(area);
  $("attach").setAttribute("title", t("attach"));
  if (session.currentState) renderStatus(false);
  updateCounter();
  const offlineNext = $("offline-next");
  if (offlineNext.dataset.when) offlineNext.textContent = t("offlineNext", { when: formatWhen(offlineNext.dataset.when) });
}

export function initLanguage() {
  $("lang-toggle").addEventListener("click", () => {
    page.lang = page.lang === "es" ? "en" : "es";
    applyLanguage();
  });
}
