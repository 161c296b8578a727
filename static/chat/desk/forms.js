/* Errors in the transfer, wrap-up and block forms: next to the field they
 * are about (the server's "fields", or guessed from its sentence), else at
 * the top; busy buttons. */
import {$, $$} from "./dom.js";
import {hintedFields} from "./panel-rules.js";

export function clearErrors(form) {
  $$(".field-error", form).forEach(function (p) { p.textContent = ""; });
  $$("[aria-invalid]", form).forEach(function (input) { input.removeAttribute("aria-invalid"); });
  var general = $(".form-error", form);
  if (general) general.textContent = "";
}

export function fieldError(form, name, message) {
  var p = $('.field-error[data-for="' + name + '"]', form);
  var input = form.elements[name];
  if (!p) return false;
  p.textContent = p.textContent ? p.textContent + " " + message : message;
  if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
  return true;
}

export function showFormErrors(form, data) {
  clearErrors(form);
  var placed = false;
  var first = null;
  if (data && data.fields) {
    Object.keys(data.fields).forEach(function (name) {
      var messages = data.fields[name] || [];
      messages.forEach(function (message) {
        if (fieldError(form, name, message)) {
          placed = true;
          first = first || form.elements[name];
        } else {
          appendGeneral(form, message);
        }
      });
    });
  }
  var fieldMessages = [];
  if (data && data.fields) {
    Object.keys(data.fields).forEach(function (k) { fieldMessages = fieldMessages.concat(data.fields[k] || []); });
  }
  if (data && data.error && fieldMessages.indexOf(data.error) === -1) {
    var done = false;
    if (!placed) {
      var names = hintedFields(data.error);
      for (var i = 0; i < names.length && !done; i++) {
        var name = names[i];
        if (form.elements[name] && isShown(form.elements[name]) && fieldError(form, name, data.error)) {
          done = true;
          first = form.elements[name];
        }
      }
    }
    if (!done) appendGeneral(form, data.error);
  }
  if (first && first.focus) first.focus();
}

/** A field's error goes away as soon as the field is changed. */
export function clearOnEdit(form) {
  var handler = function (e) {
    var name = e.target && e.target.name;
    if (!name) return;
    var target = name === "bad_patron" ? "bad_patron_reason" : name;
    var p = $('.field-error[data-for="' + target + '"]', form);
    if (p) p.textContent = "";
    e.target.removeAttribute("aria-invalid");
    // Fields that answer one question together clear together.
    [["resolution", "followup_email"], ["to_librarian", "to_queue"]].forEach(function (group) {
      if (group.indexOf(name) === -1) return;
      group.forEach(function (n) {
        var q = $('.field-error[data-for="' + n + '"]', form);
        if (q) q.textContent = "";
        if (form.elements[n]) form.elements[n].removeAttribute("aria-invalid");
      });
    });
  };
  form.addEventListener("input", handler);
  form.addEventListener("change", handler);
}

function isShown(input) {
  return !!(input && input.closest && !input.closest("[hidden]"));
}

function appendGeneral(form, message) {
  var general = $(".form-error", form);
  if (!general) return;
  general.textContent = general.textContent ? general.textContent + " " + message : message;
}

export function busy(button, on, text) {
  if (!button) return;
  if (on) {
    button.dataset.label = button.textContent;
    button.disabled = true;
    if (text) button.textContent = text;
  } else {
    button.disabled = false;
    if (button.dataset.label) button.textContent = button.dataset.label;
  }
}
