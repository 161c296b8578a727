/* Error messages next to form fields, wired to aria-describedby and
 * aria-invalid; the server's {"fields": {...}} shown the same way. */
import { $, show } from "./context.js";

export function setFieldError(inputId, messages) {
  const input = $(inputId);
  const err = $(inputId + "-error");
  if (!input || !err) return false;
  const text = (messages || []).join(" ");
  err.textContent = text;
  show(err, !!text);
  const target = input.tagName === "FIELDSET" ? input.querySelector("input") : input;
  const group = input.tagName === "FIELDSET" ? input.querySelectorAll("input") : [input];
  Array.prototype.forEach.call(group, (el) => {
    const ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter((x) => x && x !== err.id);
    if (text) { ids.push(err.id); el.setAttribute("aria-invalid", "true"); }
    else el.removeAttribute("aria-invalid");
    if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
    else el.removeAttribute("aria-describedby");
  });
  return text ? target : false;
}

export function clearErrors(form) {
  Array.prototype.forEach.call(form.querySelectorAll(".field-error"), (err) => {
    setFieldError(err.id.replace(/-error$/, ""), []);
  });
}

export function setResidentError(msgs) {
  const err = $("resident-error");
  const text = (msgs || []).join(" ");
  err.textContent = text;
  show(err, !!text);
  Array.prototype.forEach.call(document.querySelectorAll("input[name=resident]"), (el) => {
    if (text) { el.setAttribute("aria-describedby", "resident-error"); el.setAttribute("aria-invalid", "true"); }
    else { el.removeAttribute("aria-describedby"); el.removeAttribute("aria-invalid"); }
  });
  return text ? $("resident-yes") : false;
}

/* Show {"fields": {...}} next to the inputs; field names of the protocol
 * map to element ids (with a prefix for the offline form). Returns
 * {any: a field got a message, leftovers: messages with no field}. */
export function showFieldErrors(fields, prefix) {
  const map = { question: "question", name: "name", email: "email", patron_status: "patron-status" };
  let first = null;
  const leftovers = [];
  Object.keys(fields || {}).forEach((name) => {
    let msgs = fields[name];
    if (!Array.isArray(msgs)) msgs = [String(msgs)];
    let el = false;
    if (name === "resident" && !prefix && !$("resident-field").hidden) {
      el = setResidentError(msgs);
    } else if (map[name] && $(prefix + map[name]) && $(prefix + map[name] + "-error")) {
      el = setFieldError(prefix + map[name], msgs);
    }
    if (el) { first = first || el; } else { leftovers.push(msgs.join(" ")); }
  });
  if (first) first.focus();
  return { any: !!first, leftovers };
}
