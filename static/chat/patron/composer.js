/* The composer: the character counter, "send as N messages" (shared
 * splitMessage), Enter to send, the patron's typing frames, ending the chat. */
import { splitMessage, lengthStatus } from "../shared/text.js";
import { randomId } from "../shared/messages.js";
import { $, t, show, request, MAX_CHARS } from "./context.js";
import { showAlert, alertText } from "./alerts.js";
import { session, isOver, chatOpen } from "./session.js";
import { addPending } from "./log.js";
import { sendFrame } from "./chat.js";
import { applyState } from "./status.js";

let typingOn = false, typingSentAt = 0, typingIdle = null;
let lengthAlert = "";

function tooLongBy(text) { return lengthStatus(text, MAX_CHARS).n - MAX_CHARS; }
function tooLongText(n) { return n === 1 ? t("tooLongOne", { max: MAX_CHARS }) : t("tooLong", { n, max: MAX_CHARS }); }

export function updateCounter() {
  const composer = $("composer");
  const st = lengthStatus(composer.value, MAX_CHARS);
  const counter = $("composer-count");
  const split = $("split-send");
  counter.classList.toggle("is-over", st.over > 0);
  counter.classList.toggle("is-near", st.near);
  if (st.over > 0) {
    counter.textContent = tooLongText(st.over);
    split.textContent = t("splitSend", { n: st.parts });
    show(split, true);
    composer.setAttribute("aria-invalid", "true");
  } else {
    counter.textContent = st.near ? (st.left === 1 ? t("counterLeftOne") : t("counterLeft", { n: st.left })) : "";
    show(split, false);
    composer.removeAttribute("aria-invalid");
  }
}

function sendText(text) {
  const p = addPending("p-" + randomId(), text);
  // Not connected, or not resumed yet: it stays in localStorage and goes
  // out with the same client_id once the socket has resumed.
  if (session.flushed) sendFrame({ type: "message", body: p.body, client_id: p.client_id });
}

function submitComposer() {
  const composer = $("composer");
  const text = composer.value.trim();
  if (!text || !session.token) return;
  if (session.currentState && isOver(session.currentState.status)) return;
  if (tooLongBy(text) > 0) {
    updateCounter();
    lengthAlert = tooLongText(tooLongBy(text));
    showAlert(lengthAlert);
    composer.focus();
    return;
  }
  stopTyping();
  sendText(text);
  composer.value = "";
  updateCounter();
  composer.focus();
}

export function stopTyping() {
  clearTimeout(typingIdle);
  if (typingOn) { sendFrame({ type: "typing", typing: false }); typingOn = false; }
}

export function initComposer() {
  const composer = $("composer");
  $("composer-form").addEventListener("submit", (e) => { e.preventDefault(); submitComposer(); });
  $("split-send").addEventListener("click", () => {
    const text = composer.value.trim();
    if (!text || !chatOpen()) return;
    stopTyping();
    splitMessage(text, MAX_CHARS).forEach(sendText);
    composer.value = "";
    updateCounter();
    composer.focus();
  });
  composer.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submitComposer();
    }
  });
  composer.addEventListener("input", () => {
    updateCounter();
    // The "too long" alert goes once the text fits again.
    if (lengthAlert && alertText().indexOf(lengthAlert) === 0 && tooLongBy(composer.value) <= 0) {
      showAlert("");
      lengthAlert = "";
    }
    if (!chatOpen()) return;
    if (!composer.value.trim()) { stopTyping(); return; }
    const now = Date.now();
    if (!typingOn || now - typingSentAt >= 3000) {
      if (sendFrame({ type: "typing", typing: true })) { typingOn = true; typingSentAt = now; }
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 4000);
  });

  $("end-chat").addEventListener("click", () => {
    const token = session.token;
    if (!token || (session.currentState && isOver(session.currentState.status))) return;
    if (!window.confirm(t("confirmEnd"))) return;
    stopTyping();
    if (!sendFrame({ type: "end" })) {
      request("POST", "/chat/c/" + encodeURIComponent(token) + "/end", {}).then((res) => {
        if (res.status === 200 && res.data.state) applyState(res.data.state);
        else if (res.data.error) showAlert(res.data.error);
      }).catch(() => { showAlert(t("errNetwork")); });
    }
  });
}
