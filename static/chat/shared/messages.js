/* Messages held by a client: de-duplicated by seq, own messages matched
 * by client_id (docs/chat-protocol.md). No DOM: a "view" is whatever the
 * caller shows a message with (an element), kept here opaque. */

/** A message's files: `attachments` (several for an email), or the single
 * `attachment` of servers that sent only that. */
export function messageFiles(m) {
  if (!m) return [];
  if (Array.isArray(m.attachments)) return m.attachments;
  return m.attachment ? [m.attachment] : [];
}

/** `bytes` random bytes as hex (a client_id is a prefix plus this). */
export function randomId(bytes = 12, crypto = globalThis.crypto) {
  const buf = new Uint8Array(bytes);
  if (crypto && crypto.getRandomValues) crypto.getRandomValues(buf);
  else for (let i = 0; i < bytes; i++) buf[i] = Math.floor(Math.random() * 256);
  return Array.prototype.map.call(buf, (b) => ("0" + b.toString(16)).slice(-2)).join("");
}

/** A copy of `known` is only worth taking again when it brings the files a
 * first push lacked (a file's message can be pushed before it is stored). */
export function isDuplicate(known, m) {
  return !!(known && !(messageFiles(m).length && !messageFiles(known).length));
}

/** Messages in seq order, one per seq (a later copy with files wins). */
export function uniqueBySeq(list) {
  const bySeq = new Map();
  (list || []).forEach((m) => {
    if (!m || typeof m.seq !== "number") return;
    if (!isDuplicate(bySeq.get(m.seq), m)) bySeq.set(m.seq, m);
  });
  return Array.from(bySeq.values()).sort((a, b) => a.seq - b.seq);
}

/** What a client holds: messages by seq and its own unacknowledged
 * messages in send order. `onPendingChange()` runs whenever the pending
 * list changes (to save it). */
export class MessageIndex {
  constructor({ onPendingChange } = {}) {
    this.bySeq = new Map();   // seq -> {message (null until its frame came), view}
    this.pending = [];        // [{client_id, body, view, failed, file}]
    this.onPendingChange = onPendingChange || (() => {});
  }

  get(seq) { return this.bySeq.get(seq); }

  /** The highest seq held (the `after` of a resume); acks without their
   * message frame do not count. */
  maxSeq() {
    let m = 0;
    this.bySeq.forEach((v, k) => { if (v.message && k > m) m = k; });
    return m;
  }

  findPending(clientId) {
    for (const p of this.pending) if (p.client_id === clientId) return p;
    return null;
  }

  addPending(clientId, body, view, file = false) {
    const p = { client_id: clientId, body, view, failed: false, file: !!file };
    this.pending.push(p);
    this.onPendingChange();
    return p;
  }

  removePending(p) {
    const i = this.pending.indexOf(p);
    if (i !== -1) this.pending.splice(i, 1);
    this.onPendingChange();
  }

  /** What to keep across a reload: text messages not refused. */
  unsent() {
    return this.pending.filter((p) => !p.failed && !p.file)
      .map((p) => ({ client_id: p.client_id, body: p.body }));
  }

  /** An incoming message (live push or resync). null when it is a copy of
   * one held; else {view, pending}: the view to reuse (the one held for that
   * seq, else the pending one with its client_id, taken off the pending
   * list) or null for a new one. Call `set()` once it is shown. */
  take(m) {
    const known = this.bySeq.get(m.seq);
    if (known && known.message && isDuplicate(known.message, m)) return null;
    let view = known ? known.view : null;
    let pending = null;
    if (!view && m.client_id) {
      pending = this.findPending(m.client_id);
      if (pending) { view = pending.view; this.removePending(pending); }
    }
    return { view, pending };
  }

  set(seq, message, view) {
    this.bySeq.set(seq, { message, view });
  }

  /** The server stored our `clientId` as `seq`. null when unknown; else
   * {pending, known}: `known` set when the message frame came first (then
   * the pending view is redundant), else the seq now holds the pending
   * view until the message frame fills it in. */
  ack(clientId, seq) {
    const p = this.findPending(clientId);
    if (!p || typeof seq !== "number") return null;
    this.removePending(p);
    const known = this.bySeq.get(seq);
    if (known && known.message) return { pending: p, known };
    this.bySeq.set(seq, { message: null, view: p.view });
    return { pending: p, known: null };
  }

  /** The server refused `clientId`: marked failed and off the list. */
  fail(clientId) {
    const p = this.findPending(clientId);
    if (!p) return null;
    p.failed = true;
    this.removePending(p);
    return p;
  }
}
