/* The alert bar (role=alert) and the polite announcer for screen readers. */
import { $, page } from "./context.js";

export function showAlert(text) {
  const alertEl = $("alert");
  alertEl.textContent = "";
  if (!text) { alertEl.classList.remove("has-alert"); return; }
  // A fresh text node so that screen readers announce a repeated message.
  const p = document.createElement("p");
  p.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "alert-close";
  close.setAttribute("aria-label", page.lang === "es" ? "Cerrar aviso" : "Dismiss");
  close.title = close.getAttribute("aria-label");  // the × is drawn by CSS
  close.addEventListener("click", () => { showAlert(""); });
  alertEl.appendChild(p);
  alertEl.appendChild(close);
  alertEl.classList.add("has-alert");
}

/** The alert's current text ("" when none). */
export function alertText() { return $("alert").textContent; }

export function announce(text) {
  const announcer = $("announcer");
  announcer.textContent = "";
  window.setTimeout(() => { announcer.textContent = text; }, 50);
}
