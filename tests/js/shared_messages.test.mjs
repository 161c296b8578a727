// De-duplication by seq and client id (static/chat/shared/messages.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageIndex, messageFiles, isDuplicate, uniqueBySeq, randomId } from "../../static/chat/shared/messages.js";

const msg = (seq, extra = {}) => ({ seq, sender: "patron", body: "m" + seq, client_id: "", ...extra });

test("messageFiles: the attachments list, or the single attachment", () => {
  const a = { name: "a.pdf", size: 1, url: "/a" }, b = { name: "b.png", size: 2, url: "/b" };
  assert.deepEqual(messageFiles({ attachments: [a, b] }), [a, b]);
  assert.deepEqual(messageFiles({ attachments: [], attachment: a }), [], "the list wins when present");
  assert.deepEqual(messageFiles({ attachment: a }), [a]);
  assert.deepEqual(messageFiles({ attachment: null }), []);
  assert.deepEqual(messageFiles({}), []);
  assert.deepEqual(messageFiles(null), []);
});

test("resync after a reconnect: copies by seq are dropped, a copy with files replaces", () => {
  const index = new MessageIndex();
  for (const m of [msg(1), msg(2)]) {
    const r = index.take(m);
    assert.deepEqual(r, { view: null, pending: null });
    index.set(m.seq, m, "view" + m.seq);
  }
  assert.equal(index.take(msg(1)), null);
  assert.equal(index.take(msg(2)), null);
  const withFile = msg(2, { attachments: [{ name: "x", url: "/x" }] });
  assert.deepEqual(index.take(withFile), { view: "view2", pending: null }, "same element, rebuilt");
  index.set(2, withFile, "view2");
  assert.equal(index.take(msg(2)), null, "the file-less copy no longer replaces it");
  assert.equal(index.maxSeq(), 2);
});

test("resync claims the pending message with the same client_id", () => {
  let saves = 0;
  const index = new MessageIndex({ onPendingChange: () => saves++ });
  index.addPending("p-1", "hello", "pendingView");
  index.addPending("p-2", "again", "pendingView2");
  assert.deepEqual(index.unsent(), [{ client_id: "p-1", body: "hello" }, { client_id: "p-2", body: "again" }]);
  const stored = msg(5, { client_id: "p-1", body: "hello" });
  const r = index.take(stored);
  assert.equal(r.view, "pendingView");
  assert.equal(r.pending.client_id, "p-1");
  index.set(5, stored, r.view);
  assert.deepEqual(index.unsent(), [{ client_id: "p-2", body: "again" }]);
  assert.equal(index.take(stored), null, "the same message again (another resync) is a copy");
  assert.ok(saves >= 3);
});

test("an ack before its message frame holds the seq; after it, the pending view is redundant", () => {
  const index = new MessageIndex();
  index.addPending("p-1", "one", "v1");
  const a = index.ack("p-1", 7);
  assert.equal(a.known, null);
  assert.equal(index.get(7).view, "v1");
  assert.equal(index.maxSeq(), 0, "an ack alone does not move the resume point");
  const r = index.take(msg(7, { client_id: "p-1" }));
  assert.equal(r.view, "v1", "the message frame fills in the acked element");
  index.set(7, msg(7), r.view);
  assert.equal(index.maxSeq(), 7);

  index.addPending("p-2", "two", "v2");
  index.set(8, msg(8, { client_id: "p-2" }), "v8");   // the frame came first, from elsewhere
  const b = index.ack("p-2", 8);
  assert.equal(b.known.view, "v8");
  assert.equal(b.pending.view, "v2");
  assert.equal(index.ack("p-2", 8), null, "a second ack is ignored");
  assert.equal(index.ack("p-unknown", 9), null);
});

test("a refused message is marked failed and not kept for resending", () => {
  const index = new MessageIndex();
  index.addPending("p-1", "x", null);
  index.addPending("p-f", "", null, true);
  assert.deepEqual(index.unsent(), [{ client_id: "p-1", body: "x" }], "uploads are not resent");
  const p = index.fail("p-1");
  assert.equal(p.failed, true);
  assert.deepEqual(index.unsent(), []);
  assert.equal(index.fail("p-1"), null);
});

test("uniqueBySeq and isDuplicate", () => {
  const file = msg(2, { attachment: { name: "f", url: "/f" } });
  assert.deepEqual(uniqueBySeq([msg(3), msg(1), msg(2), msg(1), file, msg(2), { seq: "4" }]).map((m) => [m.seq, messageFiles(m).length]),
    [[1, 0], [2, 1], [3, 0]]);
  assert.equal(isDuplicate(undefined, msg(1)), false);
  assert.equal(isDuplicate(msg(1), msg(1)), true);
});

test("randomId is hex of the given length", () => {
  assert.match(randomId(), /^[0-9a-f]{24}$/);
  assert.match(randomId(4), /^[0-9a-f]{8}$/);
  assert.notEqual(randomId(), randomId());
});
