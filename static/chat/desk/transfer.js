/* Transferring a chat to a librarian who is online or to a queue (SPEC L5). */
import {$} from "./dom.js";
import {api} from "./http.js";
import {busy, clearErrors, clearOnEdit, fieldError, showFormErrors} from "./forms.js";
import {hooks} from "./hooks.js";
import {transferOptions} from "./panel-rules.js";

function fillTransferTargets(chat) {
  var form = chat.transferForm;
  var choices = transferOptions(chat.detail && chat.detail.transfer_targets);
  [[form.elements.to_librarian, choices.librarians], [form.elements.to_queue, choices.queues]].forEach(function (item) {
    var select = item[0], keep = select.value;
    hooks.fillSelect(select, item[1].options, item[1].placeholder);
    if (keep) select.value = keep;
    if (select.selectedIndex < 0) select.value = "";
  });
}

function hideTransfer(chat) {
  chat.transferForm.hidden = true;
  $(".transfer", chat.root).setAttribute("aria-expanded", "false");
}

export function wireTransfer(chat) {
  var root = chat.root;
  clearOnEdit(chat.transferForm);
  var transferButton = $(".transfer", root);
  var transferForm = chat.transferForm;
  transferButton.addEventListener("click", function () {
    if (!transferForm.hidden) { hideTransfer(chat); return; }
    transferForm.hidden = false;
    transferButton.setAttribute("aria-expanded", "true");
    clearErrors(transferForm);
    fillTransferTargets(chat);
    transferForm.elements.to_librarian.focus();
    // Who is online changes: refresh the targets.
    api("GET", "conversations/" + chat.id).then(function (answer) {
      if (answer.ok && !chat.closing) {
        chat.detail = answer.data;
        fillTransferTargets(chat);
      }
    });
  });
  $(".transfer-cancel", root).addEventListener("click", function () { hideTransfer(chat); transferButton.focus(); });
  // One target: picking a librarian clears the queue and the other way round.
  var toLibrarian = transferForm.elements.to_librarian;
  var toQueue = transferForm.elements.to_queue;
  toLibrarian.addEventListener("change", function () { if (toLibrarian.value) toQueue.value = ""; });
  toQueue.addEventListener("change", function () { if (toQueue.value) toLibrarian.value = ""; });
  transferForm.addEventListener("submit", function (e) {
    e.preventDefault();
    clearErrors(transferForm);
    var target = toLibrarian.value ? toLibrarian : toQueue.value ? toQueue : null;
    var note = transferForm.elements.note.value.trim();
    var bad = false;
    if (!target) { fieldError(transferForm, "to_librarian", "Choose a librarian or a queue."); bad = true; }
    if (!note) { fieldError(transferForm, "note", "Write a note for the receiver."); bad = true; }
    if (bad) { (target ? transferForm.elements.note : toLibrarian).focus(); return; }
    var body = {note: note};
    var label = target.selectedOptions[0].textContent;
    body[target.name] = Number(target.value);
    var submit = $(".transfer-submit", transferForm);
    busy(submit, true, "Transferring…");
    api("POST", "conversations/" + chat.id + "/transfer", body).then(function (answer) {
      busy(submit, false);
      if (!answer.ok) { showFormErrors(transferForm, answer.data); return; }
      hideTransfer(chat);
      hooks.markGone(chat, "Transferred to " + label);
    });
  });
}
