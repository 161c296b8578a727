/* Text: counting, splitting long messages, rendering with textContent.
 *
 * Pure functions; the DOM helpers touch `document` only when called (a
 * module import never does), so Node's test runner can load this file. */

/** Length in code points, the way the server counts (an emoji is 1). */
export function charCount(s) {
  return Array.from(String(s == null ? "" : s)).length;
}

// Break points, best first: a paragraph, a line, a sentence, a word. Each
// matches the LAST such break inside the window.
const BREAKS = [
  /\n\s*\n(?![\s\S]*\n\s*\n)/,
  /\n(?![\s\S]*\n)/,
  /[.!?¡¿]\s(?![\s\S]*[.!?]\s)/,
  /\s(?![\s\S]*\s)/,
];

/** Cut a long text into messages of at most `max` code points, at a
 * paragraph, line, sentence or word break in the second half of each
 * window when there is one (else hard at `max`, never inside a code
 * point). Parts are trimmed; empty parts are dropped. */
export function splitMessage(text, max) {
  max = Number(max) || 4000;
  let chars = Array.from(String(text == null ? "" : text));
  const parts = [];
  while (chars.length > max) {
    const win = chars.slice(0, max).join("");
    let cut = -1;
    for (const re of BREAKS) {
      const m = re.exec(win);
      if (m && m.index > max / 2) {
        cut = Array.from(win.slice(0, m.index + m[0].length)).length;
        break;
      }
    }
    if (cut <= 0) cut = max;
    const part = chars.slice(0, cut).join("").trim();
    if (part) parts.push(part);
    chars = chars.slice(cut);
  }
  const rest = chars.join("").trim();
  if (rest) parts.push(rest);
  return parts;
}

/** Where a draft stands against the limit (the composer's counters).
 * `n` counts the trimmed text; `over` > 0 when too long (then `parts` is how
 * many messages "split and send" makes); `near` when within `warnWithin` of
 * the limit; `left` is what is left (max - n). */
export function lengthStatus(text, max, warnWithin = 400) {
  const trimmed = String(text == null ? "" : text).trim();
  const n = charCount(trimmed);
  const over = n - max;
  return {
    n,
    max,
    over: over > 0 ? over : 0,
    left: max - n,
    near: over <= 0 && n > max - warnWithin,
    parts: over > 0 ? splitMessage(trimmed, max).length : (n ? 1 : 0),
  };
}

/** A plausible email address (the server checks it properly). */
export function looksLikeEmail(s) {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(String(s == null ? "" : s));
}

/** Set a node's text (never HTML). */
export function setText(node, text) {
  if (node) node.textContent = text == null ? "" : String(text);
  return node;
}

/** A new element with an optional class and text (textContent only). */
export function el(tag, className, text, doc = globalThis.document) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
