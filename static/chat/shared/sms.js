/* SMS length: encoding, segments, and numbered texts (issue 18).
 *
 * A text goes as GSM-7 when every character is in the GSM 03.38 default
 * alphabet or its extension table (3GPP TS 23.038), else as UCS-2 (UTF-16).
 * One segment holds 160 septets (GSM-7) or 70 UTF-16 units (UCS-2); a text
 * longer than that is sent in parts of 153 or 67 (each part carries a
 * 6-byte header to rejoin it), and a part never ends inside an extension
 * character's escape pair or a surrogate pair. Pure functions, no DOM. */

import { splitMessage } from "./text.js";

// The default alphabet, in table order (ESC, 0x1B, left out: it only leads
// an extension character).
const GSM7_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
// The extension table: each costs two septets (ESC + the character).
const GSM7_EXTENSION = new Set("\f^{}\\[~]|€");

export const LIMITS = {
  "GSM-7": { single: 160, part: 153 },
  "UCS-2": { single: 70, part: 67 },
};

/** "GSM-7" when every character of `text` has a GSM 03.38 code, else "UCS-2". */
export function smsEncoding(text) {
  for (const ch of String(text == null ? "" : text)) {
    if (!GSM7_BASIC.has(ch) && !GSM7_EXTENSION.has(ch)) return "UCS-2";
  }
  return "GSM-7";
}

/** Units a character costs in `encoding`: septets, or UTF-16 code units. */
function cost(ch, encoding) {
  if (encoding === "GSM-7") return GSM7_EXTENSION.has(ch) ? 2 : 1;
  return ch.length; // 2 for a character outside the BMP (an emoji)
}

/** How `text` goes as SMS: `{encoding, units, segments, perSegment,
 * remaining}` — `remaining` is what still fits in the last segment. An
 * empty text is 0 segments. */
export function smsInfo(text) {
  const s = String(text == null ? "" : text);
  const encoding = smsEncoding(s);
  const { single, part } = LIMITS[encoding];
  const chars = Array.from(s);
  const units = chars.reduce((sum, ch) => sum + cost(ch, encoding), 0);
  if (units <= single) {
    return {
      encoding,
      units,
      segments: units ? 1 : 0,
      perSegment: single,
      remaining: single - units,
    };
  }
  // Several parts: fill each up to `part` units without splitting a
  // character (an escape pair or a surrogate pair stays in one part).
  let segments = 1;
  let used = 0;
  for (const ch of chars) {
    const c = cost(ch, encoding);
    if (used + c > part) {
      segments += 1;
      used = 0;
    }
    used += c;
  }
  return { encoding, units, segments, perSegment: part, remaining: part - used };
}

/** Cut `text` into texts of at most `max` characters each, at paragraph,
 * line, sentence or word breaks (the shared splitter), numbered "1/3 " when
 * there is more than one; the number counts toward `max`. */
export function splitNumbered(text, max = 150) {
  let parts = splitMessage(text, max);
  if (parts.length <= 1) return parts;
  // The prefix ("12/12 ") takes room, which may make more parts: repeat
  // until the count is stable.
  for (let tries = 0; tries < 5; tries++) {
    const digits = String(parts.length).length;
    const room = max - (2 * digits + 2);
    const next = splitMessage(text, room);
    if (next.length === parts.length) {
      parts = next;
      break;
    }
    parts = next;
  }
  return parts.map((part, i) => `${i + 1}/${parts.length} ${part}`);
}
