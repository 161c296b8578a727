// The desk's pure text and rules: composer, formatting, panel text, alerts,
// forms, wrap-up, transfer, blocking, side pane, socket.
import {test} from "node:test";
import assert from "node:assert/strict";
import {fileProblem, lengthWarning, splitIntoParts, withCanned, withLink} from "../../static/chat/desk/compose-text.js";
import {chars, duration, errorForStatus, errorText, fileSize, localDate, messageFiles, plural} from "../../static/chat/desk/format.js";
import {chatCountText, chatTitles, goneText, messageWhoText, senderClass, statusText, unreadText} from "../../static/chat/desk/panel-text.js";
import {blockProblem, blockedText, hintedFields, isFollowup, transferOptions, wrapupRequest} from "../../static/chat/desk/panel-rules.js";
import {
  alertAction, alertStyle, awayText, coopHint, hitMeta, isStaffOnly, mailtoHref, onDutyDetails,
  searchStatus, shouldGoAway, suggestStatus, ticketsSummary
} from "../../static/chat/desk/desk-text.js";
import {apiPrefix, parseConfig} from "../../static/chat/desk/config.js";
import {deskBackoff, refusedText} from "../../static/chat/desk/socket.js";

test("long messages split at sentence ends, within the limit, never inside an emoji", () => {
  const text = "A first sentence that is long enough here. " + "word ".repeat(40) + "End. Tail";
  const parts = splitIntoParts(text, 60);
  assert.ok(parts.every((p) => p.length <= 60));
  assert.equal(parts[0], "A first sentence that is long enough here.");
  assert.match(parts[1], /^word( word)*$/);  // no sentence end near: at a space
  assert.equal(parts.join(" ").replace(/\s+/g, " "), text.trim().replace(/\s+/g, " "));
  assert.deepEqual(splitIntoParts("short", 600), ["short"]);
  const emoji = "😀".repeat(10);
  splitIntoParts(emoji, 5).forEach((p) => assert.doesNotMatch(p, /^[\udc00-\udfff]|[\ud800-\udbff]$/));
});

test("the length warning of the composer", () => {
  assert.equal(lengthWarning("hello", 4000, 600), null);
  const long = lengthWarning("a. ".repeat(300), 4000, 600);
  assert.equal(long.tooLong, false);
  assert.match(long.text, /^Long message \(\d+ characters\)/);
  const tooLong = lengthWarning("x ".repeat(2500), 4000, 600);
  assert.equal(tooLong.tooLong, true);
  assert.match(tooLong.text, /^Too long to send: 4999 characters, 4000 at most/);
});

test("canned messages replace the previous pick; links are added once", () => {
  assert.equal(withCanned("", "", "Hello!"), "Hello!");
  assert.equal(withCanned("Hello!", "Hello!", "Hi!"), "Hi!");
  assert.equal(withCanned("Dear Ann, Hello!", "Hello!", "Hi!"), "Dear Ann, Hi!");
  assert.equal(withCanned("Dear Ann,  ", "", "Hi!"), "Dear Ann, Hi!");
  assert.equal(withLink("", "https://x.org/a"), "https://x.org/a");
  assert.equal(withLink("See ", "https://x.org/a"), "See https://x.org/a");
  assert.equal(withLink("See https://x.org/a", "https://x.org/a"), "See https://x.org/a");
});

test("files too big or empty are refused before sending", () => {
  assert.equal(fileProblem({name: "a.pdf", size: 11 * 1024 * 1024}, 10 * 1024 * 1024), "“a.pdf” is too big: 10.0 MB at most.");
  assert.equal(fileProblem({name: "b.txt", size: 0}, 10), "“b.txt” is empty.");
  assert.equal(fileProblem({name: "c.txt", size: 5}, 10), null);
});

test("formatting", () => {
  assert.equal(chars("a😀b"), 3);
  assert.equal(duration(-3), "0:00");
  assert.equal(duration(65.9), "1:05");
  assert.equal(duration(3600 + 5 * 60), "1 h 05 min");
  assert.equal(fileSize(512), "512 bytes");
  assert.equal(fileSize(1536), "2 KB");
  assert.equal(fileSize(3 * 1024 * 1024), "3.0 MB");
  assert.equal(localDate(2, new Date(2026, 11, 30, 12)), "2027-01-01");
  assert.equal(localDate(0, new Date(2026, 4, 6, 12)), "2026-05-06");
  assert.deepEqual(messageFiles({attachment: {name: "a"}}), [{name: "a"}]);
  assert.deepEqual(messageFiles({attachments: [], attachment: {name: "a"}}), []);
  assert.deepEqual(messageFiles({}), []);
  assert.equal(plural(1, "chat"), "1 chat");
  assert.equal(plural(0, "chat"), "0 chats");
});

test("error text: the error, then each field message once", () => {
  assert.equal(errorText({error: "No.", fields: {a: ["No.", "Bad a."], b: ["Bad a.", "Bad b."]}}), "No. Bad a. Bad b.");
  assert.equal(errorText(null), "That did not work.");
  assert.equal(errorForStatus(404), "This chat no longer exists.");
  assert.equal(errorForStatus(502), "The server had a problem; try again in a moment.");
  assert.equal(errorForStatus(418), "That did not work (error 418).");
});

test("panel titles, status and counts", () => {
  const titles = chatTitles(7, {patron: {name: "Ann"}, library: {name: "Springfield", code: "sprc"}}, null);
  assert.deepEqual(titles, {title: "Ann — Springfield (#7)", tab: "Ann · sprc #7"});
  assert.deepEqual(chatTitles(8, null, {patron_name: "", library: {name: "X"}}), {title: "Patron — X (#8)", tab: "Patron · X #8"});
  assert.deepEqual(chatTitles(9, null, null), {title: "Patron (#9)", tab: "Patron #9"});
  assert.equal(statusText({status: "active"}), "Active");
  assert.equal(statusText({status: "ended", wrappedUp: false}), "Ended — wrap-up needed");
  assert.equal(statusText({status: "missed", wrappedUp: true}), "Wrapped up");
  assert.equal(statusText({status: "active", gone: "Transferred"}), "Transferred");
  assert.equal(chatCountText(2, 3), "2 of 3");
  assert.equal(chatCountText(2, null), "2");
  assert.equal(unreadText(0), "");
  assert.equal(unreadText(3), "3 new");
  assert.equal(goneText("transferred"), "Transferred");
  assert.equal(goneText("active"), "No longer yours");
});

test("who wrote a message", () => {
  assert.equal(senderClass("patron"), "msg msg-patron");
  assert.equal(senderClass("bot"), "msg msg-system");
  assert.equal(messageWhoText({sender: "patron"}, "the patron"), "Patron");
  assert.equal(messageWhoText({sender: "patron"}, "Ann"), "Ann");
  assert.equal(messageWhoText({sender: "librarian"}, "Ann"), "Librarian");
  assert.equal(messageWhoText({sender: "note", author: "Bo"}, "Ann"), "Internal note · Bo");
  assert.equal(messageWhoText({sender: "system"}, "Ann"), "");
});

test("server sentences go next to the field they are about", () => {
  assert.deepEqual(hintedFields("A lost call has no question type."), ["resolution", "question_type"]);
  assert.deepEqual(hintedFields("Write a note."), ["note"]);
  assert.deepEqual(hintedFields("Nothing to see"), []);
});

test("transfer targets", () => {
  assert.deepEqual(transferOptions(undefined).librarians, {options: [], placeholder: "Loading…"});
  const o = transferOptions({librarians: [{id: 3, name: "Bo"}], queues: []});
  assert.deepEqual(o.librarians, {options: [[3, "Bo"]], placeholder: "Choose…"});
  assert.deepEqual(o.queues, {options: [], placeholder: "No queue is online"});
  assert.deepEqual(transferOptions({queues: [{id: 1, name: "Co-op", code: "coop"}]}).queues.options, [[1, "Co-op (coop)"]]);
});

test("the wrap-up request and its checks", () => {
  assert.equal(isFollowup("followup_me"), true);
  assert.equal(isFollowup("answered"), false);
  const ok = wrapupRequest({resolution: "answered", question_type: "research", read_scale: "3", bad_patron: false, bad_patron_reason: "x"});
  assert.deepEqual(ok, {body: {resolution: "answered", question_type: "research", read_scale: 3, bad_patron: false, bad_patron_reason: ""}, problems: []});
  const bad = wrapupRequest({resolution: "followup_library", question_type: "", read_scale: "", bad_patron: true, bad_patron_reason: " ", followup_email: " ", followup_due: ""});
  assert.deepEqual(bad.problems.map((p) => p[0]), ["question_type", "bad_patron_reason", "followup_email", "followup_due"]);
  assert.equal(bad.body.read_scale, null);
  const follow = wrapupRequest({resolution: "followup_me", question_type: "other", followup_email: " a@b.org ", followup_due: "2026-05-08"});
  assert.equal(follow.body.followup_email, "a@b.org");
  assert.deepEqual(follow.problems, []);
});

test("blocking a patron", () => {
  assert.equal(blockProblem(0, "x").field, "days");
  assert.equal(blockProblem(366, "x").field, "days");
  assert.equal(blockProblem(NaN, "x").field, "days");
  assert.equal(blockProblem(7, "").field, "reason");
  assert.equal(blockProblem(7, "spam"), null);
  assert.equal(blockedText(1), "Patron blocked for 1 day; the help desk has been told.");
  assert.equal(blockedText(7), "Patron blocked for 7 days; the help desk has been told.");
});

test("alerts: style and the action each gets", () => {
  assert.deepEqual(alertStyle("missed_risk"), {className: "alert alert-missed_risk", urgent: true, waiting: true, sound: true});
  assert.deepEqual(alertStyle("backup"), {className: "alert alert-backup", urgent: true, waiting: false, sound: true});
  assert.deepEqual(alertStyle(undefined), {className: "alert alert-info", urgent: false, waiting: false, sound: false});
  assert.equal(alertStyle("<b>x").className, "alert alert-bx");
  assert.equal(alertAction({conversation: 4, suggestion: "Still there?"}, true, false), "suggest");
  assert.equal(alertAction({conversation: 4}, true, false), "chat");
  assert.equal(alertAction({conversation: 4, kind: "info"}, false, true), "waiting");
  assert.equal(alertAction({conversation: 4, kind: "transfer"}, false, false), "waiting");
  assert.equal(alertAction({conversation: 4, kind: "info"}, false, false), null);
  assert.equal(alertAction({conversation: null, suggestion: "x"}, false, false), null);
});

test("going away when idle", () => {
  const idle = 30 * 60 * 1000;
  assert.equal(shouldGoAway(idle, 0, idle, false, 1), true);
  assert.equal(shouldGoAway(idle - 1, 0, idle, false, 1), false);
  assert.equal(shouldGoAway(idle, 0, idle, true, 1), false);
  assert.equal(shouldGoAway(idle, 0, idle, false, 0), false);
  assert.equal(awayText(idle), "You were away for 30 minutes, so you stopped monitoring. Press Monitor to take chats again.");
});

test("side pane, tickets, knowledge base and on-duty text", () => {
  assert.equal(mailtoHref("ann+x@example.org"), "mailto:ann%2Bx@example.org");
  assert.equal(coopHint({is_coop: false}), "");
  assert.match(coopHint({is_coop: true, library: {name: "Shelbyville"}}), /^Co-op chat: this patron is from Shelbyville,/);
  assert.deepEqual(ticketsSummary({unclaimed: 2, mine: 1, overdue: 0}), {text: "(2 unclaimed, 1 claimed by you", overdue: null});
  assert.equal(ticketsSummary({unclaimed: 0, mine: 0, overdue: 3}).overdue, "3 overdue");
  assert.equal(suggestStatus(2, "Springfield"), "2 suggested from Springfield's pages:");
  assert.match(suggestStatus(0, "Springfield"), /^Nothing of Springfield's pages/);
  assert.equal(searchStatus(0, "renew"), "Nothing found for “renew”.");
  assert.equal(searchStatus(3, "renew"), "3 found for “renew”:");
  assert.equal(isStaffOnly({}), true);
  assert.equal(isStaffOnly({staff_only: false}), false);
  assert.equal(hitMeta({kind: "faq", library: {code: "sprc"}}, "sprc", false), "FAQ");
  assert.equal(hitMeta({kind: "policy", library: {code: "shel", name: "Shelbyville"}}, "sprc", false), "Policy section · Shelbyville");
  assert.equal(hitMeta({kind: "faq", library: {code: "sprc", name: "Springfield"}}, "sprc", true), "FAQ · Springfield");
  assert.equal(onDutyDetails({queues: ["A", "B"], chats: 1}), "A, B · 1 chat");
  assert.equal(onDutyDetails({}), " · 0 chats");
});

test("configuration and socket rules", () => {
  assert.deepEqual(parseConfig("not json"), {});
  assert.deepEqual(parseConfig("3"), {});
  assert.deepEqual(parseConfig('{"me": {"id": 1}}'), {me: {id: 1}});
  assert.equal(apiPrefix("/desk/api"), "/desk/api/");
  assert.equal(apiPrefix(undefined), "/desk/api/");
  const b = deskBackoff(() => 0.5);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(() => b.next()), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  b.reset();
  assert.equal(b.next(), 1000);
  const low = deskBackoff(() => 0);
  assert.equal(low.next(), 750);
  assert.equal(refusedText(4401, null, 0), "You are signed out. Sign in again and reload the page.");
  assert.equal(refusedText(4403, null, 0), "Your role does not staff chat queues.");
  assert.equal(refusedText(4403, {message: "Blocked.", at: 1000}, 5999), "Blocked.");
  assert.equal(refusedText(4403, {message: "Blocked.", at: 1000}, 6000), "Your role does not staff chat queues.");
});
