/* Ending a chat and its wrap-up form (SPEC L7): resolution, question type,
 * READ scale, email follow-up, "Bad Patron" flag. */
import {$} from "./dom.js";
import {errorText} from "./format.js";
import {api} from "./http.js";
import {busy, clearErrors, clearOnEdit, fieldError, showFormErrors} from "./forms.js";
import {hooks} from "./hooks.js";
import {patronName} from "./panel-text.js";
import {isFollowup, wrapupRequest} from "./panel-rules.js";

function followupChanged(chat) {
  var wrapup = chat.wrapup;
  var on = isFollowup(wrapup.elements.resolution.value);
  $(".followup-fields", wrapup).hidden = !on;
  if (on && !wrapup.elements.followup_email.value) {
    var email = chat.detail && chat.detail.patron && chat.detail.patron.email;
    if (email) wrapup.elements.followup_email.value = email;
  }
}

export function showWrapup(chat, focus) {
  var wrapup = chat.wrapup;
  var wasHidden = wrapup.hidden;
  wrapup.hidden = false;
  followupChanged(chat);
  if (wasHidden) chat.wrapupShown = true;
  if (focus) {
    wrapup.scrollIntoView({block: "nearest"});
    wrapup.elements.resolution.focus({preventScroll: true});
  }
}

function submitWrapup(chat) {
  var f = chat.wrapup;
  clearErrors(f);
  var request = wrapupRequest({
    resolution: f.elements.resolution.value,
    question_type: f.elements.question_type.value,
    read_scale: f.elements.read_scale.value,
    bad_patron: f.elements.bad_patron.checked,
    bad_patron_reason: f.elements.bad_patron_reason.value,
    followup_email: f.elements.followup_email.value,
    followup_due: f.elements.followup_due.value
  });
  if (request.problems.length) {
    request.problems.forEach(function (problem) { fieldError(f, problem[0], problem[1]); });
    var invalid = $("[aria-invalid=true]", f);
    if (invalid) invalid.focus();
    return;
  }
  var submit = $(".wrapup-submit", f);
  busy(submit, true, "Saving…");
  api("POST", "conversations/" + chat.id + "/wrapup", request.body).then(function (answer) {
    busy(submit, false);
    if (!answer.ok) { showFormErrors(f, answer.data); return; }
    chat.wrappedUp = true;
    hooks.closeChat(chat, "Chat with " + patronName(chat) + " wrapped up.");
  });
}

export function wireWrapup(chat) {
  var root = chat.root;
  clearOnEdit(chat.wrapup);
  var endButton = $(".end", root);
  endButton.addEventListener("click", function () {
    busy(endButton, true, "Ending…");
    api("POST", "conversations/" + chat.id + "/end", {}).then(function (answer) {
      busy(endButton, false);
      if (!answer.ok) { chat.composeMsg.textContent = errorText(answer.data); return; }
      hooks.applyDetail(chat, answer.data);
      hooks.endedHere(chat);
      showWrapup(chat, true);
    });
  });
  $(".wrapup-open", root).addEventListener("click", function () { showWrapup(chat, true); });
  var wrapup = chat.wrapup;
  var resolution = wrapup.elements.resolution;
  resolution.addEventListener("change", function () { followupChanged(chat); });
  var bad = wrapup.elements.bad_patron;
  bad.addEventListener("change", function () {
    $(".bad-reason", wrapup).hidden = !bad.checked;
    if (bad.checked) wrapup.elements.bad_patron_reason.focus();
  });
  wrapup.addEventListener("submit", function (e) {
    e.preventDefault();
    submitWrapup(chat);
  });
}
