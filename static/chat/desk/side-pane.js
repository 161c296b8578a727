/* The side pane of a chat panel: the patron and their library (links to
 * hours and policies, co-op hint, non-resident banner), prior conversations;
 * and the ticket counts in the page head. The knowledge base is kb.js. */
import {$, el, link} from "./dom.js";
import {dateTimeText} from "./format.js";
import {api} from "./http.js";
import {coopHint, mailtoHref, ticketsSummary} from "./desk-text.js";

export function renderSidePane(chat, d) {
  var root = chat.root;
  var lib = d.library || {};
  var libCell = $(".sp-library", root);
  libCell.textContent = "";
  libCell.appendChild(el("span", "sp-library-name", lib.name || ""));
  var links = el("span", "sp-links");
  if (lib.hours_url) {
    links.appendChild(link(lib.hours_url, "Hours and policies", true));
  }
  if (lib.website) {
    if (links.childNodes.length) links.appendChild(document.createTextNode(" · "));
    links.appendChild(link(lib.website, "Website", true));
  }
  if (links.childNodes.length) { libCell.appendChild(document.createElement("br")); libCell.appendChild(links); }
  $(".sp-queue", root).textContent = d.queue ? d.queue.name + " (" + d.queue.code + ")" : "";
  var p = d.patron || {};
  $(".sp-name", root).textContent = p.name || "Not given";
  $(".sp-status", root).textContent = p.status_label || p.status || "";
  $(".sp-resident", root).textContent = p.resident === false ? "Non-resident" : "Resident";
  // A texting patron's number (SMS conversations only).
  $(".sp-phone", root).textContent = p.phone || "";
  $(".sp-phone", root).hidden = $(".sp-phone-label", root).hidden = !p.phone;
  var email = $(".sp-email", root);
  email.textContent = "";
  if (p.email) {
    var mail = el("a", null, p.email);
    mail.href = mailtoHref(p.email);
    email.appendChild(mail);
  } else {
    email.textContent = "Not given";
  }
  var ref = $(".sp-referrer", root);
  ref.textContent = "";
  if (p.referrer_url) ref.appendChild(link(p.referrer_url, p.referrer_url, true));
  else ref.textContent = "Unknown";
  $(".sp-browser", root).textContent = p.browser || "Unknown";
  $(".sp-requested", root).textContent = dateTimeText(d.requested_at);
  var prior = $(".sp-prior", root);
  prior.textContent = "";
  if (d.prior && d.prior.length) {
    d.prior.forEach(function (c) {
      var li = el("li");
      li.appendChild(el("span", "muted", dateTimeText(c.requested_at) + ": "));
      li.appendChild(el("span", null, c.question || ""));
      prior.appendChild(li);
    });
  } else {
    prior.appendChild(el("li", "muted", p.phone ? "None from this number." : p.email ? "None with this email." : "None known (no email given)."));
  }
  $(".nonresident-banner", root).hidden = !d.non_resident;
  var coop = $(".coop-hint", root);
  var hint = coopHint(d);
  if (hint) {
    coop.textContent = hint;
    coop.hidden = false;
  } else {
    coop.hidden = true;
  }
}

/** A ticket changed somewhere: re-read the counts beside "Email tickets"
 *  (once for a burst of changes). */
var ticketsTimer = null;
export function ticketsChanged() {
  if (ticketsTimer) return;
  ticketsTimer = window.setTimeout(function () {
    ticketsTimer = null;
    api("GET", "tickets/summary").then(function (result) {
      var summary = $("#tickets-summary");
      if (!result.ok || !summary) return;  // the counts stay as they were
      var parts = ticketsSummary(result.data);
      summary.textContent = parts.text;
      if (parts.overdue) {
        summary.appendChild(document.createTextNode(", "));
        summary.appendChild(el("strong", "", parts.overdue));
      }
      summary.appendChild(document.createTextNode(")"));
    });
  }, 1000);
}
