// node --test tests/js/  — the shared text helpers (static/chat/shared/text.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { charCount, splitMessage, lengthStatus, looksLikeEmail, el, setText } from "../../static/chat/shared/text.js";

test("charCount counts code points like the server", () => {
  assert.equal(charCount("abc"), 3);
  assert.equal(charCount("😀é"), 2);
  assert.equal(charCount(""), 0);
  assert.equal(charCount(null), 0);
});

test("a short message is one part, trimmed", () => {
  assert.deepEqual(splitMessage("  hello  ", 10), ["hello"]);
  assert.deepEqual(splitMessage("   ", 10), []);
});

test("long messages split at word boundaries", () => {
  const words = Array.from({ length: 50 }, (_, i) => "word" + i).join(" ");
  const parts = splitMessage(words, 40);
  assert.ok(parts.length > 1);
  for (const p of parts) {
    assert.ok(charCount(p) <= 40, p);
    assert.match(p, /^word\d+( word\d+)*$/, "a part starts and ends with a whole word: " + p);
  }
  assert.equal(parts.join(" "), words, "nothing lost, nothing added");
});

test("a sentence end beats a word break, a paragraph beats both", () => {
  const max = 40;
  const sentence = "The first sentence is here. And then more words follow on";
  assert.equal(splitMessage(sentence, max)[0], "The first sentence is here.");
  const para = "Paragraph one is long.\n\nTwo. Three four five six seven";
  assert.equal(splitMessage(para, max)[0], "Paragraph one is long.");
});

test("a break in the first half of the window is not used; no break cuts hard", () => {
  assert.deepEqual(splitMessage("a " + "x".repeat(30), 20), ["a " + "x".repeat(18), "x".repeat(12)]);
  assert.deepEqual(splitMessage("y".repeat(45), 20), ["y".repeat(20), "y".repeat(20), "y".repeat(5)]);
});

test("splitting never cuts an emoji and counts it as one", () => {
  const parts = splitMessage("😀".repeat(25), 10);
  assert.deepEqual(parts.map(charCount), [10, 10, 5]);
  assert.equal(parts.join(""), "😀".repeat(25));
});

test("the default limit is 4000 characters", () => {
  const text = ("lorem ipsum dolor sit amet ").repeat(400);
  const parts = splitMessage(text);
  assert.ok(parts.length >= 3);
  assert.ok(parts.every((p) => charCount(p) <= 4000));
});

test("lengthStatus: the character counter and the number of messages", () => {
  assert.deepEqual(lengthStatus("  hi ", 4000), { n: 2, max: 4000, over: 0, left: 3998, near: false, parts: 1 });
  const near = lengthStatus("x".repeat(3700), 4000);
  assert.equal(near.near, true);
  assert.equal(near.left, 300);
  assert.equal(near.over, 0);
  const over = lengthStatus("word ".repeat(1000), 4000);  // 4999 after trimming
  assert.equal(over.n, 4999);
  assert.equal(over.over, 999);
  assert.equal(over.near, false);
  assert.equal(over.parts, 2);
  assert.equal(lengthStatus("", 10).parts, 0);
  assert.equal(lengthStatus("abcdefghijk", 10, 2).over, 1);
});

test("looksLikeEmail", () => {
  assert.ok(looksLikeEmail("a@b.org"));
  assert.ok(!looksLikeEmail("a@b"));
  assert.ok(!looksLikeEmail("a b@c.org"));
});

test("el and setText use textContent, never HTML", () => {
  const made = [];
  const doc = { createElement: (tag) => { const n = { tag, className: "", textContent: "" }; made.push(n); return n; } };
  const node = el("p", "msg-body", "<b>hi</b>", doc);
  assert.equal(node.textContent, "<b>hi</b>");
  assert.equal(node.className, "msg-body");
  assert.equal(node.innerHTML, undefined);
  setText(node, 5);
  assert.equal(node.textContent, "5");
  setText(node, null);
  assert.equal(node.textContent, "");
});
