/* The phone simulator (templates/sms/simulator.html, chat/sms/simulator.py).
 *
 * Sending a text: the server signs its form fields (`sign`), then this page
 * posts them to the real inbound webhook with the X-Twilio-Signature header,
 * exactly as Twilio would, and shows the webhook's answer. The thread is
 * polled every 2 s and shows what the server stored. A text the console
 * backend sent to this phone is reported delivered (or not) through the real
 * status webhook the same way, once per text. */
import { smsInfo } from "../shared/sms.js";

const POLL_MS = 2000;
const REPORTABLE = new Set(["queued", "sent"]);

const urls = JSON.parse(document.getElementById("simulator-config").textContent);
const form = document.getElementById("simulator");

if (form) start();

function start() {
  const $ = (id) => document.getElementById(id);
  const library = $("library");
  const phone = $("phone");
  const delivery = $("delivery");
  const body = $("body");
  const send = $("send");
  const thread = $("thread");
  const empty = $("thread-empty");
  const notice = $("notice");
  const reported = new Set();
  let shown = "";
  let polling = false;
  let generation = 0; // bumped when the library or phone changes

  const csrf = () => form.querySelector("[name=csrfmiddlewaretoken]").value;

  function say(text, isError = false) {
    notice.textContent = text;
    notice.classList.toggle("error", isError);
  }

  function fieldError(input, errorEl, message) {
    input.setAttribute("aria-invalid", message ? "true" : "false");
    errorEl.textContent = message || "";
    errorEl.hidden = !message;
  }

  function showRefusal(answer) {
    const message = answer.error || "The request was refused.";
    if (answer.field === "From" || answer.field === "phone") {
      fieldError(phone, $("phone-error"), message);
      phone.focus();
    } else if (answer.field === "Body") {
      fieldError(body, $("body-error"), message);
      body.focus();
    } else {
      say(message, true);
    }
  }

  async function post(url, fields, headers = {}) {
    return fetch(url, {
      method: "POST",
      body: new URLSearchParams(fields),
      headers,
      credentials: "same-origin",
    });
  }

  async function signed(url, fields) {
    const response = await post(url, fields, { "X-CSRFToken": csrf() });
    const answer = await response.json().catch(() => ({}));
    return { ok: response.ok, answer };
  }

  function selected() {
    return library.options[library.selectedIndex];
  }

  function updateHeader() {
    $("thread-with").textContent = selected().textContent;
  }

  function updateCount() {
    const info = smsInfo(body.value);
    const chars = Array.from(body.value).length;
    body.removeAttribute("aria-invalid");
    $("body-error").hidden = true;
    $("count").textContent = chars
      ? `${chars} characters · ${info.segments} text${info.segments === 1 ? "" : "s"} (${info.encoding})`
      : "";
  }

  function statusLine(text) {
    const at = new Date(text.at).toLocaleTimeString([], {
      hour: "2-digit",
      minute: "2-digit",
    });
    if (text.direction === "in") return `${at} · ${text.statusText}`;
    let line = `${at} · ${text.statusText}`;
    if (text.error) line += `: ${text.error}`;
    if (text.console && REPORTABLE.has(text.status)) {
      line += " (console backend: no real text was sent)";
    }
    return line;
  }

  function render(data) {
    const key = JSON.stringify(data.texts);
    if (key === shown) return;
    shown = key;
    const atBottom =
      thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40;
    thread.replaceChildren(
      ...data.texts.map((text) => {
        const li = document.createElement("li");
        // "in" reached the library: this phone sent it.
        li.className = text.direction === "in" ? "mine" : "theirs";
        li.dataset.status = text.status;
        if (text.status === "failed" || text.status === "undelivered") {
          li.classList.add("bad");
        }
        const p = document.createElement("p");
        p.className = "text";
        p.textContent = text.body;
        const meta = document.createElement("p");
        meta.className = "meta";
        meta.textContent = statusLine(text);
        li.append(p, meta);
        return li;
      }),
    );
    empty.hidden = data.texts.length > 0;
    if (atBottom || data.texts.length) thread.scrollTop = thread.scrollHeight;
  }

  async function report(data) {
    const status = delivery.value;
    if (status === "none") return;
    for (const text of data.texts) {
      if (text.direction !== "out" || !text.console) continue;
      if (!REPORTABLE.has(text.status) || reported.has(text.sid)) continue;
      reported.add(text.sid);
      const { ok, answer } = await signed(urls.signStatus, {
        library: data.library.code,
        phone: data.phone,
        MessageSid: text.sid,
        MessageStatus: status,
      });
      if (!ok) {
        say(`Could not report the delivery: ${answer.error || "refused"}`, true);
        continue;
      }
      const response = await post(answer.url, answer.fields, {
        "X-Twilio-Signature": answer.signature,
      });
      if (!response.ok) {
        say(
          `The status webhook answered ${response.status}: ${await response.text()}`,
          true,
        );
      }
    }
  }

  async function poll() {
    if (polling || !phone.value.trim()) return;
    polling = true;
    const mine = generation;
    try {
      const query = new URLSearchParams({
        library: library.value,
        phone: phone.value,
      });
      const response = await fetch(`${urls.thread}?${query}`, {
        credentials: "same-origin",
      });
      const data = await response.json().catch(() => ({}));
      if (mine !== generation) return;
      if (!response.ok) {
        showRefusal(data);
        return;
      }
      fieldError(phone, $("phone-error"), "");
      render(data);
      await report(data);
    } catch (error) {
      say(`The server did not answer (${error.message}); trying again.`, true);
    } finally {
      polling = false;
    }
  }

  function changed() {
    generation += 1;
    shown = "";
    thread.replaceChildren();
    empty.hidden = false;
    updateHeader();
    say("");
    polling = false;
    poll();
  }

  async function submit(event) {
    event.preventDefault();
    fieldError(phone, $("phone-error"), "");
    fieldError(body, $("body-error"), "");
    say("");
    send.disabled = true;
    try {
      const { ok, answer } = await signed(urls.sign, {
        From: phone.value,
        To: selected().dataset.number,
        Body: body.value,
      });
      if (!ok) {
        showRefusal(answer);
        return;
      }
      // As Twilio does: form-encoded fields and the signature header.
      const response = await post(answer.url, answer.fields, {
        "X-Twilio-Signature": answer.signature,
      });
      if (!response.ok) {
        say(
          `The webhook answered ${response.status}: ${await response.text()}`,
          true,
        );
        return;
      }
      body.value = "";
      updateCount();
      if (phone.value !== answer.fields.From) {
        phone.value = answer.fields.From; // as stored: E.164
        changed();
      } else {
        poll();
      }
      // STOP, START and HELP are answered in the webhook's TwiML (Twilio
      // texts it back at once); nothing is stored, so show it here.
      const twiml = new DOMParser().parseFromString(
        await response.text(),
        "text/xml",
      );
      const reply = twiml.querySelector("Response > Message");
      say(
        reply
          ? `Sent to ${answer.fields.To}; the webhook answered ${response.status} and texted back: “${reply.textContent}”`
          : `Sent to ${answer.fields.To}; the webhook answered ${response.status}.`,
      );
    } catch (error) {
      say(`The text was not sent: ${error.message}`, true);
    } finally {
      send.disabled = false;
    }
  }

  form.addEventListener("submit", submit);
  body.addEventListener("input", updateCount);
  body.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  library.addEventListener("change", changed);
  phone.addEventListener("change", changed);
  updateHeader();
  updateCount();
  poll();
  setInterval(() => {
    if (!document.hidden) poll();
  }, POLL_MS);
}
