/* DOM helpers: every piece of user text goes in with textContent, never as HTML.
 * `el` is the shared one (../shared/text.js). */
import {el} from "../shared/text.js";
import {SMS_BADGE_LABEL, SMS_BADGE_TEXT} from "./constants.js";

export {el};

export function $(sel, root) { return (root || document).querySelector(sel); }
export function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

/** Only this site's paths and http(s) addresses become links. */
export function safeHref(url, base) {
  if (typeof url !== "string" || !url) return null;
  if (url.charAt(0) === "/" && url.charAt(1) !== "/" && url.charAt(1) !== "\\") return url;
  try {
    var parsed = new URL(url, base || window.location.href);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") return parsed.href;
  } catch (e) { /* not a URL */ }
  return null;
}

export function link(url, text, external) {
  var href = safeHref(url);
  if (!href) return el("span", null, text || url || "");
  var a = el("a", null, text || url);
  a.href = href;
  if (external) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
  return a;
}

/** Say `text` in the page's live region (#announcer). */
export function announce(text) {
  var announcer = document.getElementById("announcer");
  if (!announcer) return;
  announcer.textContent = "";
  window.setTimeout(function () { announcer.textContent = text; }, 50);
}

/** The "SMS" badge of a text conversation: "SMS" on screen, "Text message"
 * to a screen reader; `extra` adds classes. */
export function smsBadge(extra) {
  var badge = el("span", "badge badge-sms" + (extra ? " " + extra : ""));
  badge.title = SMS_BADGE_LABEL;
  badge.appendChild(el("span", null, SMS_BADGE_TEXT)).setAttribute("aria-hidden", "true");
  badge.appendChild(el("span", "visually-hidden", SMS_BADGE_LABEL));
  return badge;
}
