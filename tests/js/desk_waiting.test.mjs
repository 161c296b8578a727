// The desk's waiting list rules: pickup order, placement, timers, counts.
import {test} from "node:test";
import assert from "node:assert/strict";
import {
  countWaiting, patronLine, pickupBefore, placeBefore, sortForPickup, titleWithCount,
  transferLine, waitingSince, waitState
} from "../../static/chat/desk/waiting-order.js";

const chat = (id, resident, minute, extra = {}) => ({
  id, resident, requested_at: `2026-05-06T10:${String(minute).padStart(2, "0")}:00Z`, ...extra
});

test("residents go first, then the longest waiting, then the lower id", () => {
  const a = chat(1, false, 0), b = chat(2, true, 5), c = chat(3, true, 1), d = chat(4, true, 1);
  assert.deepEqual(sortForPickup([a, b, c, d]).map((x) => x.id), [3, 4, 2, 1]);
  assert.equal(pickupBefore(b, a), true);
  assert.equal(pickupBefore(a, b), false);
  assert.equal(pickupBefore(c, d), true);
  assert.equal(pickupBefore(d, c), false);
});

test("a new waiting chat goes before the first one it precedes", () => {
  const listed = [chat(1, true, 0), chat(2, true, 4), chat(3, false, 1)];
  assert.equal(placeBefore(chat(9, true, 2), listed).id, 2);
  assert.equal(placeBefore(chat(9, false, 0), listed).id, 3);
  assert.equal(placeBefore(chat(9, false, 9), listed), null);
  // Its own old row does not count.
  assert.equal(placeBefore(chat(2, true, 4), listed).id, 3);
  assert.equal(placeBefore(chat(3, false, 1), listed), null);
});

test("a chat waits since waiting_since, else requested_at, else now", () => {
  assert.equal(waitingSince({waiting_since: "2026-05-06T10:00:00Z", requested_at: "2026-05-06T09:00:00Z"}, 5),
    Date.parse("2026-05-06T10:00:00Z"));
  assert.equal(waitingSince({requested_at: "2026-05-06T09:00:00Z"}, 5), Date.parse("2026-05-06T09:00:00Z"));
  assert.equal(waitingSince({}, 5), 5);
});

test("timer text: at risk after a minute, highlighted after three", () => {
  assert.deepEqual(waitState({}, 59.9), {wait: "Waiting 0:59", risk: false, long: false, riskText: ""});
  assert.deepEqual(waitState({}, 60), {wait: "Waiting 1:00", risk: true, long: false, riskText: "At risk of being missed"});
  assert.deepEqual(waitState({}, 185), {wait: "Waiting 3:05", risk: false, long: true, riskText: "Waiting over 3 minutes"});
  assert.equal(waitState({}, 3 * 3600 + 65).wait, "Waiting 3 h 01 min");
  // The server's flags count as much as the clock.
  assert.equal(waitState({at_risk: true}, 5).risk, true);
  assert.equal(waitState({highlight: true}, 5).long, true);
});

test("row lines", () => {
  assert.equal(patronLine({}), "Anonymous patron");
  assert.equal(patronLine({patron_name: "Ann", patron_status: "Student"}), "Ann — Student");
  assert.equal(transferLine({}), "");
  assert.equal(transferLine({transfer: {note: "over to you"}}), "Transferred by a colleague: over to you");
  assert.equal(transferLine({transfer: {from: "Bo", note: "x"}}), "Transferred by Bo: x");
});

test("the count leaves out taken rows and goes in the title", () => {
  const rows = new Map([[1, {}], [2, {taken: true}], [3, {}]]);
  assert.equal(countWaiting(rows), 2);
  assert.equal(titleWithCount(2, "Desk — AskTogether"), "(2) Desk — AskTogether");
  assert.equal(titleWithCount(0, "Desk — AskTogether"), "Desk — AskTogether");
});
