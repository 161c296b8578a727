/* Pure rules of de-duplication and catching up (docs/chat-protocol.md):
 * messages are known by seq, our own by client_id until acknowledged. */
import {messageFiles} from "./format.js";

/** A live message that skips seqs: something was missed, ask for it. */
export function isGap(seq, maxSeq) {
  return typeof seq === "number" && seq > maxSeq + 1 && maxSeq > 0;
}

/** A message with a seq already shown: render it again only when it is our
 * own (shown from the ack) or brings files the first copy lacked. */
export function shouldRefresh(known, m) {
  return !!(known.local || (messageFiles(m).length && !known.hasFiles));
}

/** What is kept across a reload: the pending messages not refused. */
export function pendingRecords(pending) {
  var list = [];
  pending.forEach(function (p, clientId) {
    if (!p.failed) list.push({client_id: clientId, body: p.body, note: p.note});
  });
  return list;
}

/** Where a message with `seq` goes among shown seqs (in page order; null
 * for a message without seq yet, which stays last): the index of the first
 * with a greater seq, or the length (at the end). */
export function seqIndex(shown, seq) {
  for (var i = 0; i < shown.length; i++) {
    var s = shown[i] === null || shown[i] === undefined ? Infinity : shown[i];
    if (s > seq) return i;
  }
  return shown.length;
}
