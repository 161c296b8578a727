/* What survives a reload (sessionStorage) and the client ids of messages. */
import {STORE} from "./constants.js";
import {randomId} from "../shared/messages.js";

export function storeGet(key, fallback) {
  try {
    var raw = window.sessionStorage.getItem(STORE + key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch (e) {
    return fallback;
  }
}

export function storeSet(key, value) {
  try {
    if (value === null || value === undefined) window.sessionStorage.removeItem(STORE + key);
    else window.sessionStorage.setItem(STORE + key, JSON.stringify(value));
  } catch (e) { /* private mode: nothing kept across reloads */ }
}

/** "d-" + time + 16 random hex digits (the server de-duplicates by it). */
export function newClientId() {
  return "d-" + Date.now().toString(36) + "-" + randomId(8);
}
