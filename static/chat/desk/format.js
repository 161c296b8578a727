/* Pure text formatting of the desk: times, durations, sizes, error text.
 * Code points, time of day and a message's files come from ../shared/;
 * the desk's own duration ("1 h 05 min"), date-and-time, file size (whole KB)
 * and local date stay here: the shared ones read differently. */
import {charCount} from "../shared/text.js";
import {formatTime} from "../shared/format.js";
import {messageFiles as sharedMessageFiles} from "../shared/messages.js";

/** Characters as the server counts them (code points, not UTF-16 units). */
export function chars(text) { return charCount(text); }

/** A message's time of day, "14:05" or "02:05 PM" (the browser's locale). */
export function timeText(iso) {
  return formatTime(iso, undefined, {hour: "2-digit"});
}

export function dateTimeText(iso) {
  if (!iso) return "";
  var d = new Date(iso);
  if (isNaN(d)) return "";
  return d.toLocaleString([], {year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"});
}

/** "m:ss" under an hour, "h h mm min" after. */
export function duration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  var m = Math.floor(seconds / 60), s = seconds % 60;
  if (m >= 60) return Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min";
  return m + ":" + String(s).padStart(2, "0");
}

export function fileSize(bytes) {
  if (bytes >= 1024 * 1024) return (bytes / 1024 / 1024).toFixed(1) + " MB";
  if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
  return bytes + " bytes";
}

/** YYYY-MM-DD of today (plus `offsetDays`) in the browser's time zone. */
export function localDate(offsetDays, now) {
  var d = now ? new Date(now.getTime()) : new Date();
  d.setDate(d.getDate() + (offsetDays || 0));
  return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
}

// A message's files: `attachments` (several for an email), or the single
// `attachment` of servers that sent only that.
export var messageFiles = sharedMessageFiles;

/** The error of an HTTP answer and its field messages, each once. */
export function errorText(data) {
  var parts = [];
  if (data && data.error) parts.push(data.error);
  if (data && data.fields) {
    Object.keys(data.fields).forEach(function (k) {
      (data.fields[k] || []).forEach(function (s) { if (parts.indexOf(s) === -1) parts.push(s); });
    });
  }
  return parts.join(" ") || "That did not work.";
}

export function errorForStatus(status) {
  if (status === 403) return "You are not allowed to do this (signed out? Reload the page).";
  if (status === 404) return "This chat no longer exists.";
  if (status === 413) return "That is too big to send.";
  if (status >= 500) return "The server had a problem; try again in a moment.";
  return "That did not work (error " + status + ").";
}

/** "1 chat", "2 chats". */
export function plural(n, word) {
  return n + " " + word + (n === 1 ? "" : "s");
}
