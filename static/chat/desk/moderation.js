/* The "Inappropriate use / crisis" menu of a chat panel (SPEC L8):
 * inappropriate-use endings, crisis resources, blocking the patron. */
import {$, $$} from "./dom.js";
import {errorText} from "./format.js";
import {api} from "./http.js";
import {busy} from "./forms.js";
import {hooks} from "./hooks.js";
import {blockProblem, blockedText} from "./panel-rules.js";

export function wireModeration(chat) {
  var root = chat.root;
  var menuMsg = $(".menu-msg", root);
  $$(".inappropriate", root).forEach(function (button) {
    button.addEventListener("click", function () {
      menuMsg.textContent = "";
      busy(button, true, "Sending…");
      api("POST", "conversations/" + chat.id + "/inappropriate", {kind: button.dataset.kind}).then(function (answer) {
        busy(button, false);
        if (!answer.ok) { menuMsg.textContent = errorText(answer.data); return; }
        menuMsg.textContent = "Sent: " + button.textContent + ".";
        $(".cp-menu", root).open = false;
        hooks.applyDetail(chat, answer.data);
      });
    });
  });
  var menu = $(".cp-menu", root);
  menu.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && menu.open) {
      menu.open = false;
      $("summary", menu).focus();
    }
  });
  var crisisConfirm = $(".crisis-confirm", root);
  $(".crisis", root).addEventListener("click", function () {
    crisisConfirm.hidden = false;
    $(".crisis-yes", root).focus();
  });
  $(".crisis-no", root).addEventListener("click", function () {
    crisisConfirm.hidden = true;
    $(".crisis", root).focus();
  });
  $(".crisis-yes", root).addEventListener("click", function () {
    var yes = $(".crisis-yes", root);
    menuMsg.textContent = "";
    busy(yes, true, "Sending…");
    api("POST", "conversations/" + chat.id + "/crisis", {}).then(function (answer) {
      busy(yes, false);
      if (!answer.ok) { menuMsg.textContent = errorText(answer.data); return; }
      crisisConfirm.hidden = true;
      menuMsg.textContent = "Crisis resources sent; the chat has ended.";
      hooks.applyDetail(chat, answer.data);
      hooks.endedHere(chat);
      hooks.showWrapup(chat, true);
    });
  });
  var blockForm = $(".block-form", root);
  var blockOpen = $(".block-open", root);
  blockOpen.addEventListener("click", function () {
    blockForm.hidden = !blockForm.hidden;
    blockOpen.setAttribute("aria-expanded", blockForm.hidden ? "false" : "true");
    if (!blockForm.hidden) blockForm.elements.reason.focus();
  });
  $(".block-cancel", root).addEventListener("click", function () {
    blockForm.hidden = true;
    blockOpen.setAttribute("aria-expanded", "false");
    blockOpen.focus();
  });
  blockForm.addEventListener("submit", function (e) {
    e.preventDefault();
    menuMsg.textContent = "";
    var days = Number(blockForm.elements.days.value);
    var reason = blockForm.elements.reason.value.trim();
    var problem = blockProblem(days, reason);
    if (problem) { menuMsg.textContent = problem.message; blockForm.elements[problem.field].focus(); return; }
    var submit = $(".block-submit", blockForm);
    busy(submit, true, "Blocking…");
    api("POST", "conversations/" + chat.id + "/block", {days: Math.floor(days), reason: reason}).then(function (answer) {
      busy(submit, false);
      if (!answer.ok) { menuMsg.textContent = errorText(answer.data); return; }
      blockForm.hidden = true;
      blockOpen.setAttribute("aria-expanded", "false");
      blockForm.elements.reason.value = "";
      menuMsg.textContent = blockedText(days);
      hooks.applyDetail(chat, answer.data);
    });
  });
}
