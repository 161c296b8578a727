/* Where the token, the last seq and unsent messages are kept.
 * localStorage normally. In the widget's frame on a library's site the
 * browser may refuse storage to a third-party frame (private windows,
 * blocked third-party cookies): then the values live in memory and are
 * handed to the embed script on the library's page (postMessage to the
 * parent's origin only), which keeps them in its sessionStorage and gives
 * them back in the frame's URL fragment when the page is reloaded. */
import { config, KEY, SEQ_KEY, PENDING_KEY, RATING_KEY } from "./context.js";

const storageOK = (function () {
  try {
    const k = "asktogether:probe";
    window.localStorage.setItem(k, "1");
    window.localStorage.removeItem(k);
    return true;
  } catch (e) { return false; }
})();

function parentOrigin() {
  if (window.parent === window) return null;
  try {
    if (location.ancestorOrigins && location.ancestorOrigins.length) return location.ancestorOrigins[0];
  } catch (e) { /* not supported */ }
  try { return new URL(config.referrer || document.referrer).origin; } catch (e) { return null; }
}
const relayTo = !storageOK && config.embed ? parentOrigin() : null;

const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

export const store = {
  memory: {},
  get(k) {
    if (storageOK) { try { return window.localStorage.getItem(k); } catch (e) { /* fall through */ } }
    return has(this.memory, k) ? this.memory[k] : null;
  },
  set(k, v) {
    if (storageOK) { try { window.localStorage.setItem(k, v); return; } catch (e) { /* full: memory */ } }
    this.memory[k] = v;
    this.relay(k, v);
  },
  del(k) {
    if (storageOK) { try { window.localStorage.removeItem(k); } catch (e) { /* ignore */ } }
    if (has(this.memory, k)) { delete this.memory[k]; }
    this.relay(k, null);
  },
  relay(k, v) {
    if (!relayTo || relayTo === "null") return;
    try { window.parent.postMessage({ type: "asktogether:store", key: k, value: v }, relayTo); } catch (e) { /* ignore */ }
  },
};

/** The embed script hands the values back in "#at=<json>": take them (when
 * there is no localStorage) and drop the fragment from the address. */
export function seedFromFragment() {
  const hash = location.hash || "";
  if (hash.indexOf("#at=") !== 0) return;
  try { history.replaceState(null, "", location.pathname + location.search); } catch (e) { /* ignore */ }
  if (storageOK) return;
  try {
    const data = JSON.parse(decodeURIComponent(hash.slice(4)));
    Object.keys(data || {}).forEach((k) => {
      if ((k === KEY || k.indexOf(KEY + ":") === 0) && typeof data[k] === "string") store.memory[k] = data[k];
    });
  } catch (e) { /* ignore a damaged fragment */ }
}

/** Unacknowledged text messages, kept for a reload. */
export function savePending(list) {
  if (list.length) store.set(PENDING_KEY, JSON.stringify(list));
  else store.del(PENDING_KEY);
}
export function loadPending() {
  const raw = store.get(PENDING_KEY);
  if (!raw) return [];
  try {
    const list = JSON.parse(raw);
    return Array.isArray(list) ? list.filter((p) => p && typeof p.client_id === "string" && typeof p.body === "string") : [];
  } catch (e) { return []; }
}
export function forgetChat() {
  store.del(KEY);
  store.del(SEQ_KEY);
  store.del(PENDING_KEY);
  store.del(RATING_KEY);
}
