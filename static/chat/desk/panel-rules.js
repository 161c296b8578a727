/* Pure rules of a chat panel's forms: where a server sentence goes, the
 * transfer targets, the wrap-up request and its checks, blocking. */
import {FOLLOWUP_CODES} from "./constants.js";

// Sentences from the server that are about one field, when it gave no
// "fields": put them next to that field.
export var FIELD_HINTS = [
  [/lost call|resolution/i, "resolution"],
  [/question type/i, "question_type"],
  [/read scale/i, "read_scale"],
  [/deadline|due/i, "followup_due"],
  [/email/i, "followup_email"],
  [/flag|bad patron/i, "bad_patron_reason"],
  [/note/i, "note"],
  [/librarian|queue|transfer to/i, "to_librarian"],
  [/days/i, "days"],
  [/reason|why you block/i, "reason"]
];

/** The fields a server sentence may be about, best guess first. */
export function hintedFields(message) {
  return FIELD_HINTS.filter(function (hint) { return hint[0].test(message); })
    .map(function (hint) { return hint[1]; });
}

/** The options of the two selects from a detail's `transfer_targets`
 * (absent from the socket's details: they come over HTTP when the form
 * opens). Option text is the librarian's name alone (tests pick by label). */
export function transferOptions(targets) {
  var loading = !targets;
  targets = targets || {};
  var people = (targets.librarians || []).map(function (p) { return [p.id, p.name]; });
  var queues = (targets.queues || []).map(function (q) { return [q.id, q.name + " (" + q.code + ")"]; });
  return {
    librarians: {options: people, placeholder: people.length ? "Choose…" : loading ? "Loading…" : "No other librarian is online"},
    queues: {options: queues, placeholder: queues.length ? "Choose…" : loading ? "Loading…" : "No queue is online"}
  };
}

export function isFollowup(resolution) {
  return FOLLOWUP_CODES.indexOf(resolution) !== -1;
}

/** The wrap-up request from the form's values, and the problems to show
 * before sending it: {body, problems: [[field, message], ...]}. */
export function wrapupRequest(v) {
  var body = {
    resolution: v.resolution,
    question_type: v.question_type,
    read_scale: v.read_scale ? Number(v.read_scale) : null,
    bad_patron: !!v.bad_patron,
    bad_patron_reason: v.bad_patron ? (v.bad_patron_reason || "").trim() : ""
  };
  var problems = [];
  if (!body.question_type) problems.push(["question_type", "Choose a question type."]);
  if (body.bad_patron && !body.bad_patron_reason) problems.push(["bad_patron_reason", "Say why you flag this patron."]);
  if (isFollowup(v.resolution)) {
    body.followup_email = (v.followup_email || "").trim();
    body.followup_due = v.followup_due;
    if (!body.followup_email) problems.push(["followup_email", "A follow-up needs the patron's email address."]);
    if (!body.followup_due) problems.push(["followup_due", "A follow-up needs a deadline."]);
  }
  return {body: body, problems: problems};
}

/** Why the block form cannot be sent, or null. */
export function blockProblem(days, reason) {
  if (!(days >= 1 && days <= 365)) return {field: "days", message: "Block for 1 to 365 days."};
  if (!reason) return {field: "reason", message: "Say why you block this patron."};
  return null;
}

export function blockedText(days) {
  return "Patron blocked for " + Math.floor(days) + " day" + (days >= 2 ? "s" : "") + "; the help desk has been told.";
}
