/* Pure text of a chat panel: title, tab, status, counts, who wrote. */

/** The patron's name as the panel shows it, or `fallback`. */
export function patronNameOf(detail, summary, fallback) {
  return (detail && detail.patron && detail.patron.name) || (summary && summary.patron_name) || fallback;
}

/** {title, tab} of a chat panel and its "jump to" button. */
export function chatTitles(id, detail, summary) {
  var d = detail, s = summary;
  var name = patronNameOf(d, s, "Patron");
  var library = (d && d.library && d.library.name) || (s && s.library && s.library.name) || "";
  var code = (((d && d.library) || (s && s.library) || {}).code || library);
  return {
    title: name + (library ? " — " + library : "") + " (#" + id + ")",
    tab: name + (library ? " · " + code : "") + " #" + id
  };
}

/** The status line of a chat panel. */
export function statusText(chat) {
  if (chat.gone) return chat.gone;
  if (chat.status === "active") return "Active";
  if (chat.status === "ended" || chat.status === "missed") return chat.wrappedUp ? "Wrapped up" : "Ended — wrap-up needed";
  if (chat.status === "waiting") return "Waiting";
  return "";
}

/** "2" or "2 of 3" (the librarian's maximum of chats at once). */
export function chatCountText(n, max) {
  return String(n) + (max ? " of " + max : "");
}

export function unreadText(n) {
  return n ? String(n) + " new" : "";
}

/** The CSS class of a message by sender (unknown senders look like system). */
export function senderClass(sender) {
  return "msg msg-" + (["patron", "librarian", "system", "note"].indexOf(sender) !== -1 ? sender : "system");
}

/** Who wrote a message, as its head shows it ("" for system messages). */
export function messageWhoText(m, patronName) {
  if (m.sender === "patron") return patronName === "the patron" ? "Patron" : patronName;
  if (m.sender === "librarian") return m.author || "Librarian";
  if (m.sender === "note") return "Internal note" + (m.author ? " · " + m.author : "");
  return "";
}

/** The text that says a chat was transferred away: the server may send only
 * {id, status, mine: false}. */
export function goneText(status) {
  return status === "transferred" || status === "waiting" ? "Transferred" : "No longer yours";
}

/** The patron's name in sentences ("Chat with Ann wrapped up."). */
export function patronName(chat) {
  return patronNameOf(chat.detail, chat.summary, "the patron");
}

/** The same at the start of a sentence. */
export function patronNameCap(chat) {
  var name = patronName(chat);
  return name === "the patron" ? "The patron" : name;
}
