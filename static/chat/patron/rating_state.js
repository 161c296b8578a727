/* The rules of "How did we do?" that need no page: when to ask, what the
 * form may send, and what the server's answer means. Pure functions (no
 * imports, no DOM), so Node's test runner can load this file. */

/** Ask when the chat is over, the server says it was not rated, and the
 * patron did not answer (rate or skip) on this device: `answeredToken` is
 * the token of the chat they last answered for. */
export function ratingWanted(state, token, answeredToken) {
  if (!state || !token || state.rated === true) return false;
  if (state.status !== "ended" && state.status !== "missed") return false;
  return answeredToken !== token;
}

/** The score picked (a radio's value "1"-"5") as a number, else null. */
export function parseScore(value) {
  return /^[1-5]$/.test(String(value == null ? "" : value)) ? Number(value) : null;
}

/** What is wrong with the form before it is sent, or null:
 * {field: "score" | "comment", key: <string key>, vars}. `length` is the
 * comment's length in code points once trimmed (as the server counts). */
export function ratingProblem(score, length, max) {
  if (score === null) return { field: "score", key: "ratingErrScore", vars: {} };
  if (length > max) return { field: "comment", key: "ratingErrTooLong", vars: { n: length, max } };
  return null;
}

/** What an answer to POST .../rating means for the page:
 * {done: true, key} when the chat is rated (now or before: the form goes
 * away), else {done: false, field, key} for a message to show. The
 * server's `code` picks the patron's words, in the page's language. */
export function ratingOutcome(status, data) {
  const code = data && typeof data.code === "string" ? data.code : "";
  if (status === 201 || status === 200) return { done: true, key: "ratingThanks" };
  if (code === "already_rated") return { done: true, key: "ratingAlready" };
  if (code === "invalid_score") return { done: false, field: "score", key: "ratingErrScore" };
  if (code === "comment_too_long" || code === "invalid_comment") {
    return { done: false, field: "comment", key: "ratingErrComment" };
  }
  if (code === "not_ended") return { done: false, field: null, key: "ratingErrNotEnded" };
  if (status === 404) return { done: false, field: null, key: "chatGone" };
  return { done: false, field: null, key: "errGeneric" };
}
