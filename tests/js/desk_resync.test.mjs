// De-duplication on resync, gaps, what is kept across a reload.
import {test} from "node:test";
import assert from "node:assert/strict";
import {isGap, pendingRecords, seqIndex, shouldRefresh} from "../../static/chat/desk/resync.js";

test("a gap is a seq more than one past the highest held", () => {
  assert.equal(isGap(5, 3), true);
  assert.equal(isGap(4, 3), false);
  assert.equal(isGap(3, 3), false);   // a copy
  assert.equal(isGap(9, 0), false);   // nothing held yet: the resync brings it
  assert.equal(isGap(undefined, 3), false);
});

test("a copy of a shown message is shown again only when it adds something", () => {
  const text = {seq: 4, body: "hi"};
  const withFile = {seq: 4, attachments: [{name: "a.pdf", url: "/f/1"}]};
  assert.equal(shouldRefresh({local: false, hasFiles: false}, text), false);
  assert.equal(shouldRefresh({local: true, hasFiles: false}, text), true);
  assert.equal(shouldRefresh({local: false, hasFiles: false}, withFile), true);
  assert.equal(shouldRefresh({local: false, hasFiles: true}, withFile), false);
  assert.equal(shouldRefresh({local: false, hasFiles: false}, {seq: 4, attachment: {name: "b"}}), true);
});

test("pending messages kept across a reload leave out refused ones", () => {
  const pending = new Map([
    ["d-1", {body: "one", note: false, node: {}}],
    ["d-2", {body: "two", note: true, node: {}, failed: true}],
    ["d-3", {body: "three", note: true, node: {}}],
  ]);
  assert.deepEqual(pendingRecords(pending), [
    {client_id: "d-1", body: "one", note: false},
    {client_id: "d-3", body: "three", note: true},
  ]);
});

test("a message goes before the first shown with a greater seq; unsent ones stay last", () => {
  assert.equal(seqIndex([1, 2, 5], 3), 2);
  assert.equal(seqIndex([1, 2, 5], 9), 3);
  assert.equal(seqIndex([], 1), 0);
  assert.equal(seqIndex([1, null, null], 2), 1);
  assert.equal(seqIndex([2, 4], 1), 0);
});
