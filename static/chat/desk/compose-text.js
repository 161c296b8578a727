/* Pure text rules of the composer: splitting long messages, the length
 * warning, inserting canned messages and links. */
import {chars, fileSize} from "./format.js";

/** Cut text into parts of at most `max` characters, at a paragraph or
 * sentence end if one is near, else at a space. */
export function splitIntoParts(text, max) {
  var parts = [];
  var rest = text.trim();
  while (rest.length > max) {
    var windowText = rest.slice(0, max + 1);
    var cut = -1;
    var re = /(?:[.!?…]+["'”’)\]]*|\n)(?=\s)/g;
    var m;
    while ((m = re.exec(windowText)) !== null) {
      var end = m.index + m[0].length;
      if (end <= max && end >= max * 0.4) cut = end;
      if (re.lastIndex === m.index) re.lastIndex++;
    }
    if (cut < 0) {
      for (var i = max; i > max * 0.3; i--) {
        if (/\s/.test(windowText.charAt(i))) { cut = i; break; }
      }
    }
    if (cut <= 0) {
      cut = max;
      var code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;  // do not cut an emoji in two
    }
    var part = rest.slice(0, cut).trim();
    if (part) parts.push(part);
    rest = rest.slice(cut).trim();
  }
  if (rest) parts.push(rest);
  return parts;
}

/** The warning under the composer: null (none) or {tooLong, text}. */
export function lengthWarning(value, maxChars, longChars) {
  var text = value.trim();
  var n = chars(text);
  if (n > maxChars) {
    return {
      tooLong: true,
      text: "Too long to send: " + n + " characters, " + maxChars + " at most. Split it into parts (" + splitIntoParts(text, longChars).length + " messages)."
    };
  }
  if (n > longChars) {
    return {
      tooLong: false,
      text: "Long message (" + n + " characters): patrons read short messages more easily. Splitting sends it as " + splitIntoParts(text, longChars).length + " messages."
    };
  }
  return null;
}

/** The composer's text after picking the canned message `body`; `last` is
 * the previous pick (browsing the list with the arrow keys replaces it). */
export function withCanned(value, last, body) {
  if (!value.trim() || value === last) return body;
  if (last && value.slice(-last.length) === last) return value.slice(0, value.length - last.length) + body;
  return value.replace(/\s*$/, "") + " " + body;
}

/** The composer's text with `url` added at the end (once). */
export function withLink(value, url) {
  value = value.replace(/\s*$/, "");
  if (value.indexOf(url) !== -1) return value;
  return value ? value + " " + url : url;
}

/** Why a file cannot be sent, or null. */
export function fileProblem(file, maxBytes) {
  if (file.size > maxBytes) return "“" + file.name + "” is too big: " + fileSize(maxBytes) + " at most.";
  if (file.size === 0) return "“" + file.name + "” is empty.";
  return null;
}
