/* The page's settings (the json_script "asktogether-config"), the current
 * language, t(), and small DOM and HTTP helpers every patron module uses.
 * Nothing here runs before the page is parsed: module scripts are deferred. */
import { makeTranslator } from "../shared/i18n.js";
import { formatSize as sharedFormatSize, formatTime as sharedFormatTime, formatWhen as sharedFormatWhen } from "../shared/format.js";
import { STRINGS } from "./strings.js";

function readConfig() {
  const el = document.getElementById("asktogether-config");
  try { return JSON.parse(el ? el.textContent : "{}") || {}; } catch (e) { return {}; }
}

export const config = readConfig();
export const CODE = String(config.code || "");
export const MAX_CHARS = Number(config.max_message_chars) || 4000;
export const MAX_FILE = Number(config.max_file_bytes) || 10485760;
export const KEY = "asktogether:" + CODE;          // the patron token
export const SEQ_KEY = KEY + ":seq";               // the highest seq seen (informative)
export const PENDING_KEY = KEY + ":pending";       // messages not acknowledged yet
export const RATING_KEY = KEY + ":rating";         // the chat last rated or skipped

// The page's language; the toggle changes it (language.js).
export const page = { lang: config.lang === "es" ? "es" : "en" };

export const t = makeTranslator(STRINGS, () => page.lang);

export function $(id) { return document.getElementById(id); }
export function show(el, on) { if (el) el.hidden = !on; }

export const formatSize = (n) => sharedFormatSize(n, page.lang, t("bytes"));
export const formatTime = (iso) => sharedFormatTime(iso, page.lang);
// The library's hours are in its own zone.
export const formatWhen = (iso) => sharedFormatWhen(iso, page.lang, config.time_zone);

/* JSON over fetch. Resolves {status, data} for every HTTP answer (data is
 * {} when the body is not JSON); rejects only on network failure. */
export function request(method, url, body, isForm) {
  const opts = { method, credentials: "same-origin", headers: { "Accept": "application/json" } };
  if (body !== undefined) {
    if (isForm) opts.body = body;
    else { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  }
  return fetch(url, opts).then((r) => r.text().then((text) => {
    let data = {};
    try { data = text ? JSON.parse(text) : {}; } catch (e) { data = {}; }
    return { status: r.status, data: data || {} };
  }));
}

/** Show one of the page's views: "form", "offline" or "chat". */
export function showView(name) {
  const views = { form: $("view-form"), offline: $("view-offline"), chat: $("view-chat") };
  Object.keys(views).forEach((k) => { show(views[k], k === name); });
  document.body.setAttribute("data-view", name);
}
