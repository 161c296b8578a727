/* The pre-chat form (POST /chat/<code>/start) and, when nobody is online,
 * the hours and the offline form (POST /chat/<code>/offline: an email
 * ticket). */
import { charCount, looksLikeEmail } from "../shared/text.js";
import { $, t, show, showView, request, page, config, formatWhen, CODE, MAX_CHARS } from "./context.js";
import { STRINGS } from "./strings.js";
import { showAlert } from "./alerts.js";
import { setFieldError, clearErrors, setResidentError, showFieldErrors } from "./fields.js";
import { session } from "./session.js";
import { beginChat } from "./chat.js";

function residentValue() {
  if (!String(config.service_area || "").trim()) return true;
  const checked = document.querySelector("input[name=resident]:checked");
  // Not answered: the server derives it (the field is optional).
  return checked ? checked.value === "yes" : null;
}

function collectForm() {
  const data = {
    question: $("question").value.trim(),
    name: $("name").value.trim(),
    email: $("email").value.trim(),
    referrer_url: $("referrer").value || "",
    lang: page.lang,
  };
  const status = $("patron-status").value;
  if (status) data.patron_status = status;
  const resident = residentValue();
  if (resident !== null) data.resident = resident;
  return data;
}

function validateQuestion(inputId, value) {
  if (!value) return setFieldError(inputId, [t("errQuestionRequired")]);
  const n = charCount(value);
  if (n > MAX_CHARS) return setFieldError(inputId, [t("errQuestionTooLong", { n, max: MAX_CHARS })]);
  return false;
}

export function showOffline(d, data) {
  data = data || {};
  showView("offline");
  show($("offline-form"), true);
  show($("offline-done"), false);
  const link = $("offline-hours-link");
  if (d && d.hours_url) link.href = d.hours_url;
  else if (config.hours_url) link.href = config.hours_url;
  const msg = $("offline-server-message");
  // The server's sentence, unless it only repeats the heading (or is in
  // English under a Spanish page).
  const said = d && d.error && page.lang === "en" && d.error.indexOf(STRINGS.en.offlineTitle) !== 0 ? d.error : "";
  msg.textContent = said;
  show(msg, !!said);
  const next = $("offline-next");
  if (d && d.next_opening) {
    next.dataset.when = d.next_opening;
    next.textContent = t("offlineNext", { when: formatWhen(d.next_opening) });
    show(next, true);
  } else {
    delete next.dataset.when;
    show(next, false);
  }
  clearErrors($("offline-form"));
  if (data.question !== undefined) $("offline-question").value = data.question || "";
  if (data.name !== undefined) $("offline-name").value = data.name || "";
  if (data.email !== undefined) $("offline-email").value = data.email || "";
  $("offline-title").focus();
}

function submitPrechat(e) {
  e.preventDefault();
  const form = $("prechat-form");
  showAlert("");
  clearErrors(form);
  setResidentError([]);
  const data = collectForm();
  session.lastForm = data;
  let bad = validateQuestion("question", data.question);
  if (data.email && !looksLikeEmail(data.email)) bad = setFieldError("email", [t("errEmailInvalid")]) && (bad || $("email"));
  if (bad) { bad.focus(); return; }
  const button = $("start-chat");
  button.disabled = true;
  button.textContent = t("starting");
  request("POST", "/chat/" + encodeURIComponent(CODE) + "/start", data)
    .then((res) => {
      const d = res.data;
      if (res.status === 201 && d.token) {
        beginChat(d.token, d.ws_url, d.state);
      } else if (res.status === 409 && d.offline) {
        showOffline(d, data);
      } else if (res.status === 400) {
        const shown = showFieldErrors(d.fields, "");
        const general = [];
        if (!shown.any || shown.leftovers.length) general.push(d.error || t("errFormProblems"));
        shown.leftovers.forEach((s) => { if (general.indexOf(s) === -1) general.push(s); });
        showAlert(general.join(" "));
      } else {
        showAlert(d.error || t("errGeneric"));
      }
    })
    .catch(() => { showAlert(t("errNetwork")); })
    .then(() => { button.disabled = false; button.textContent = t("startChat"); });
}

function submitOffline(e) {
  e.preventDefault();
  showAlert("");
  clearErrors(this);
  const base = session.lastForm || collectForm();
  const data = {
    question: $("offline-question").value.trim(),
    name: $("offline-name").value.trim(),
    email: $("offline-email").value.trim(),
    referrer_url: base.referrer_url || $("referrer").value || "",
    lang: page.lang,
  };
  if (base.patron_status) data.patron_status = base.patron_status;
  if (base.resident !== undefined && base.resident !== null) data.resident = base.resident;
  let bad = validateQuestion("offline-question", data.question);
  if (!data.email) bad = setFieldError("offline-email", [t("errEmailRequired")]) && (bad || $("offline-email"));
  else if (!looksLikeEmail(data.email)) bad = setFieldError("offline-email", [t("errEmailInvalid")]) && (bad || $("offline-email"));
  if (bad) { bad.focus(); return; }
  const button = $("offline-submit");
  button.disabled = true;
  button.textContent = t("offlineSending");
  request("POST", "/chat/" + encodeURIComponent(CODE) + "/offline", data)
    .then((res) => {
      const d = res.data;
      if (res.status === 201 || res.status === 200) {
        show($("offline-form"), false);
        // The server's sentences are in English; Spanish speakers get ours.
        $("offline-done-message").textContent = (page.lang === "en" && d.message) || t("offlineSent", { email: data.email });
        show($("offline-done"), true);
        $("question").value = "";
      } else if (res.status === 400) {
        const shown = showFieldErrors(d.fields, "offline-");
        if (!shown.any || shown.leftovers.length) showAlert([d.error || t("errFormProblems")].concat(shown.leftovers).join(" "));
      } else {
        showAlert(d.error || t("errGeneric"));
      }
    })
    .catch(() => { showAlert(t("errNetwork")); })
    .then(() => { button.disabled = false; button.textContent = t("offlineSubmit"); });
}

export function initForms() {
  $("prechat-form").addEventListener("submit", submitPrechat);
  $("offline-form").addEventListener("submit", submitOffline);
  $("offline-back").addEventListener("click", () => {
    $("question").value = $("offline-question").value;
    $("name").value = $("offline-name").value;
    $("email").value = $("offline-email").value;
    showAlert("");
    showView("form");
    $("question").focus();
  });
  $("offline-again").addEventListener("click", () => {
    $("offline-question").value = "";
    showView("form");
    $("question").focus();
  });
}
