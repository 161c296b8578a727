/* After the end: "How did we do?" (rating.js), the transcript (view,
 * print, download, email), "start a new chat", and the offline form after
 * a missed chat. */
import { looksLikeEmail } from "../shared/text.js";
import { $, t, show, showView, request, page, config, PENDING_KEY } from "./context.js";
import { session } from "./session.js";
import { store } from "./storage.js";
import { failPending } from "./log.js";
import { setTyping } from "./status.js";
import { stopTyping } from "./composer.js";
import { socket, stopSocket, refreshFromServer, leaveChat } from "./chat.js";
import { showOffline } from "./forms.js";
import { initRating, showRating } from "./rating.js";

export function showEnded(s) {
  const first = $("chat-ended").hidden;
  setTyping(false);
  stopTyping();
  clearInterval(session.waitTimer);
  show($("composer-form"), false);
  show($("end-chat"), false);
  show($("chat-ended"), true);
  show($("ended-missed"), s.status === "missed");
  showRating(s);
  const url = s.transcript_url;
  if (url) {
    $("transcript-link").href = url;
    $("transcript-download").href = url + (url.indexOf("?") === -1 ? "?" : "&") + "format=txt";
    show($("transcript-actions"), true);
    const email = $("email").value.trim();
    if (email && !$("transcript-email").value) $("transcript-email").value = email;
  } else {
    show($("transcript-actions"), false);
    // The link appears once the chat has ended: ask again shortly.
    clearTimeout(session.statePoll);
    if (session.transcriptPolls < 5) {
      session.transcriptPolls++;
      session.statePoll = setTimeout(refreshFromServer, 1500 * session.transcriptPolls);
    }
  }
  // Unacknowledged messages cannot be sent any more.
  session.index.pending.slice().forEach((p) => { if (!p.file) failPending(p.client_id, t("statusEnded")); });
  store.del(PENDING_KEY);
  if (first) {
    // No reconnecting any more; the socket stays a moment for the last
    // events (the "ended" system message), then a final read over HTTP.
    const serial = socket.hold();
    setTimeout(() => {
      if (socket.isCurrent(serial)) { stopSocket(); refreshFromServer(); }
    }, 4000);
    $("ended-title").focus();
  }
}

function printTranscript() {
  const url = $("transcript-link").href;
  const w = window.open(url, "_blank");
  if (!w) { window.location.href = url; return; }
  let printed = false;
  const doPrint = () => { if (!printed) { printed = true; try { w.focus(); w.print(); } catch (e) { /* ignore */ } } };
  try { w.addEventListener("load", doPrint); } catch (e) { setTimeout(doPrint, 1500); }
}

function emailTranscript(e) {
  e.preventDefault();
  const input = $("transcript-email");
  const result = $("transcript-email-result");
  const email = input.value.trim();
  result.classList.remove("is-error");
  if (!looksLikeEmail(email)) {
    result.textContent = email ? t("errEmailInvalid") : t("errEmailRequired");
    result.classList.add("is-error");
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  const url = $("transcript-link").getAttribute("href");
  const button = $("transcript-email-send");
  button.disabled = true;
  result.textContent = t("transcriptSending");
  request("POST", url.split("?")[0].replace(/\/?$/, "/") + "email", { email })
    .then((res) => {
      if (res.status >= 200 && res.status < 300) {
        result.textContent = (page.lang === "en" && res.data.message) || t("transcriptSent", { email });
      } else {
        const msg = res.data.fields && res.data.fields.email ? [].concat(res.data.fields.email).join(" ") : (res.data.error || t("errGeneric"));
        result.textContent = msg;
        result.classList.add("is-error");
        input.setAttribute("aria-invalid", "true");
      }
    })
    .catch(() => { result.textContent = t("errNetwork"); result.classList.add("is-error"); })
    .then(() => { button.disabled = false; });
}

export function initEnded() {
  initRating();
  $("transcript-print").addEventListener("click", printTranscript);
  $("transcript-email-form").addEventListener("submit", emailTranscript);
  $("new-chat").addEventListener("click", () => {
    leaveChat();
    $("question").value = "";
    showView("form");
    $("question").focus();
  });
  $("missed-offline").addEventListener("click", () => {
    const q = session.firstQuestion;
    leaveChat();
    const prev = session.lastForm || {};
    showOffline({ hours_url: config.hours_url }, {
      question: q || prev.question || "", name: prev.name || $("name").value, email: prev.email || $("email").value,
    });
  });
}
