// "How did we do?" (static/chat/patron/rating_state.js): when the widget
// asks, what it refuses before sending, and what the server's answers mean;
// and every word of it in English and Spanish.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const STATIC = resolve(dirname(fileURLToPath(import.meta.url)), "../../static/chat");
const { ratingWanted, parseScore, ratingProblem, ratingOutcome } = await import(
  resolve(STATIC, "patron/rating_state.js"));
const { STRINGS } = await import(resolve(STATIC, "patron/strings.js"));

test("asks once a chat is over, however it ended, unless rated or answered here", () => {
  assert.equal(ratingWanted({ status: "ended", rated: false }, "tok", null), true);
  assert.equal(ratingWanted({ status: "missed", rated: false }, "tok", null), true);
  // An older answer on this device was for another chat.
  assert.equal(ratingWanted({ status: "ended", rated: false }, "tok", "older"), true);
  assert.equal(ratingWanted({ status: "ended", rated: false }, "tok", "tok"), false);  // skipped
  assert.equal(ratingWanted({ status: "ended", rated: true }, "tok", null), false);    // rated
  assert.equal(ratingWanted({ status: "active", rated: false }, "tok", null), false);
  assert.equal(ratingWanted({ status: "waiting" }, "tok", null), false);
  assert.equal(ratingWanted(null, "tok", null), false);
  assert.equal(ratingWanted({ status: "ended" }, null, null), false);
});

test("a score is one of 1 to 5", () => {
  assert.equal(parseScore("1"), 1);
  assert.equal(parseScore("5"), 5);
  for (const bad of [null, undefined, "", "0", "6", "x", "3.5", " 3", "10"]) {
    assert.equal(parseScore(bad), null, String(bad));
  }
});

test("the form needs a score and a comment within the limit", () => {
  assert.deepEqual(ratingProblem(null, 0, 1000), { field: "score", key: "ratingErrScore", vars: {} });
  assert.deepEqual(ratingProblem(4, 1001, 1000),
    { field: "comment", key: "ratingErrTooLong", vars: { n: 1001, max: 1000 } });
  assert.equal(ratingProblem(4, 1000, 1000), null);
  assert.equal(ratingProblem(1, 0, 1000), null);
});

test("the server's answers: rated, rated before, or a message by its code", () => {
  assert.deepEqual(ratingOutcome(201, { rating: { score: 5 } }), { done: true, key: "ratingThanks" });
  assert.deepEqual(ratingOutcome(409, { code: "already_rated", error: "..." }), { done: true, key: "ratingAlready" });
  assert.deepEqual(ratingOutcome(400, { code: "invalid_score" }), { done: false, field: "score", key: "ratingErrScore" });
  assert.deepEqual(ratingOutcome(400, { code: "comment_too_long" }), { done: false, field: "comment", key: "ratingErrComment" });
  assert.deepEqual(ratingOutcome(409, { code: "not_ended" }), { done: false, field: null, key: "ratingErrNotEnded" });
  assert.deepEqual(ratingOutcome(404, { error: "gone" }), { done: false, field: null, key: "chatGone" });
  assert.deepEqual(ratingOutcome(403, { error: "other site" }), { done: false, field: null, key: "errGeneric" });
  assert.deepEqual(ratingOutcome(500, {}), { done: false, field: null, key: "errGeneric" });
  assert.deepEqual(ratingOutcome(502, null), { done: false, field: null, key: "errGeneric" });
});

test("every word of the rating is in English and in Spanish, with the same placeholders", () => {
  const keys = Object.keys(STRINGS.en).filter((k) => /^rating/.test(k));
  assert.ok(keys.length >= 15, keys.join(" "));
  for (const key of keys) {
    const en = STRINGS.en[key];
    const es = STRINGS.es[key];
    assert.equal(typeof es, "string", `es.${key}`);
    assert.notEqual(es, en, `es.${key} is translated`);
    const holes = (s) => (s.match(/\{\w+\}/g) || []).sort().join(",");
    assert.equal(holes(es), holes(en), key);
  }
  for (let n = 1; n <= 5; n++) {
    assert.ok(STRINGS.en["rating" + n].startsWith(String(n)));
    assert.ok(STRINGS.es["rating" + n].startsWith(String(n)));
  }
});
