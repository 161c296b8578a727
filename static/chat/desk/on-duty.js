/* Who is on duty now (the `on_duty` frame) and "Call for backup". */
import {me} from "./config.js";
import {$, el} from "./dom.js";
import {errorText} from "./format.js";
import {api} from "./http.js";
import {onDutyEmpty, onDutyList} from "./page.js";
import {busy} from "./forms.js";
import {onDutyDetails} from "./desk-text.js";

export function showOnDuty(list) {
  onDutyList.textContent = "";
  list.forEach(function (p) {
    var li = el("li");
    var name = el("strong", null, p.name || "");
    li.appendChild(name);
    if (me.id && p.id === me.id) li.appendChild(el("span", "muted", " (you)"));
    li.appendChild(el("span", null, " — " + (p.library || "")));
    li.appendChild(el("div", "muted small", onDutyDetails(p)));
    onDutyList.appendChild(li);
  });
  onDutyEmpty.hidden = list.length > 0;
}

export function initOnDuty() {
  var backupForm = $("#backup-form");
  if (!backupForm) return;
  backupForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var button = $("#call-backup");
    var status = $("#backup-status");
    status.textContent = "";
    busy(button, true, "Calling…");
    api("POST", "backup", {message: $("#backup-message").value.trim()}).then(function (answer) {
      busy(button, false);
      if (answer.ok) {
        status.textContent = (answer.data && answer.data.message) || "Backup called: the help desk and the listserv have been alerted.";
        $("#backup-message").value = "";
      } else {
        status.textContent = errorText(answer.data);
      }
    });
  });
}
