/* Policies & FAQ in the side pane (SPEC K3): the patron library's policy
 * sections and FAQs suggested for the question, and a search of any
 * library's. Staff-only sections are shown to the librarian with a badge and
 * no "Send link": only public addresses ever go into the composer. */
import {$, el, link, safeHref} from "./dom.js";
import {errorText} from "./format.js";
import {api} from "./http.js";
import {busy} from "./forms.js";
import {withLink} from "./compose-text.js";
import {hitMeta, isStaffOnly, searchStatus, suggestStatus} from "./desk-text.js";
import {hooks} from "./hooks.js";

var kbNode = $("#kb-config");
var KB = kbNode ? {
  search: kbNode.dataset.search,
  suggest: kbNode.dataset.suggest,
  libraries: kbNode.dataset.libraries
} : null;
var kbLibraries = null;  // one request for every chat's library filter

function kbLoadLibraries() {
  if (!kbLibraries) {
    kbLibraries = api("GET", KB.libraries).then(function (answer) {
      if (!answer.ok) { kbLibraries = null; return []; }
      return answer.data.libraries || [];
    });
  }
  return kbLibraries;
}

export function wireKb(chat) {
  var root = chat.root;
  var panel = $(".kb-panel", root);
  if (!panel) return;
  chat.kb = {
    panel: panel,
    status: $(".kb-status", panel),
    suggestions: $(".kb-suggestions", panel),
    form: $(".kb-search", panel),
    searchStatus: $(".kb-search-status", panel),
    results: $(".kb-results", panel),
    state: "new"  // new, loading, loaded
  };
  if (!KB || !KB.search) { panel.hidden = true; return; }
  var form = chat.kb.form;
  form.addEventListener("submit", function (e) { e.preventDefault(); kbSearch(chat); });
  var again = el("button", "kb-again btn-secondary btn-small", "Suggest again");
  again.type = "button";
  again.hidden = true;
  again.addEventListener("click", function () {
    chat.kb.state = "new";
    kbSuggest(chat);
  });
  chat.kb.again = again;
  chat.kb.status.insertAdjacentElement("afterend", again);
  kbLoadLibraries().then(function (list) {
    var select = form.elements.library;
    list.forEach(function (lib) {
      if (!lib || !lib.code) return;
      var option = el("option", null, lib.name || lib.code);
      option.value = String(lib.code);
      select.appendChild(option);
    });
  });
}

function kbPatronLibrary(chat) {
  return (chat.detail && chat.detail.library) || {};
}

export function kbSuggest(chat) {
  var kb = chat.kb;
  if (!kb || !KB || !KB.suggest || kb.state !== "new" || chat.closing) return;
  var lib = kbPatronLibrary(chat);
  if (lib.name) {
    var mine = $("option[value=patron]", kb.form);
    if (mine) mine.textContent = "The patron's library (" + lib.name + ")";
  }
  kb.state = "loading";
  kb.again.hidden = true;
  kb.status.textContent = "Looking for " + (lib.name ? lib.name + "'s" : "the library's") + " pages on the question…";
  api("GET", KB.suggest + "?conversation=" + encodeURIComponent(chat.id)).then(function (answer) {
    if (chat.closing) return;
    kb.again.hidden = false;
    if (!answer.ok) {
      kb.state = "new";
      kb.status.textContent = "Suggestions not available: " + errorText(answer.data);
      return;
    }
    kb.state = "loaded";
    var hits = answer.data.hits || [];
    var name = (answer.data.library && answer.data.library.name) || lib.name || "the patron's library";
    kbRender(chat, kb.suggestions, hits, false);
    kb.status.textContent = suggestStatus(hits.length, name);
  });
}

function kbSearch(chat) {
  var kb = chat.kb, form = kb.form;
  var q = form.elements.q.value.trim();
  if (!q) {
    kb.searchStatus.textContent = "Type some words to search for.";
    form.elements.q.focus();
    return;
  }
  var library = form.elements.library.value;
  if (library === "patron") library = kbPatronLibrary(chat).code || "";
  var button = $(".kb-go", form);
  busy(button, true, "Searching…");
  kb.searchStatus.textContent = "";
  api("GET", KB.search + "?q=" + encodeURIComponent(q) + "&library=" + encodeURIComponent(library)).then(function (answer) {
    busy(button, false);
    if (chat.closing) return;
    if (!answer.ok) {
      kb.results.textContent = "";
      kb.searchStatus.textContent = errorText(answer.data);
      return;
    }
    var hits = answer.data.hits || [];
    kbRender(chat, kb.results, hits, !library);
    kb.searchStatus.textContent = searchStatus(hits.length, q);
  });
}

function kbRender(chat, list, hits, showLibrary) {
  list.textContent = "";
  var patronLibrary = kbPatronLibrary(chat).code;
  hits.forEach(function (hit) {
    if (!hit || typeof hit !== "object") return;
    var staffOnly = isStaffOnly(hit);
    var li = el("li", "kb-hit" + (staffOnly ? " kb-staff" : ""));
    var head = el("div", "kb-hit-head");
    var title = el("strong", "kb-title");
    var url = staffOnly ? null : safeHref(hit.url);
    if (url) title.appendChild(link(url, hit.title || url, true));
    else title.textContent = hit.title || "";
    head.appendChild(title);
    if (staffOnly) head.appendChild(el("span", "badge kb-badge-staff", "Staff only"));
    li.appendChild(head);
    li.appendChild(el("p", "kb-meta muted small", hitMeta(hit, patronLibrary, showLibrary)));
    if (hit.excerpt) li.appendChild(el("p", "kb-excerpt", hit.excerpt));
    if (hit.text && hit.text !== hit.excerpt) {
      var more = el("details", "kb-more");
      more.appendChild(el("summary", null, "Read all"));
      more.appendChild(el("p", "kb-text", hit.text));
      li.appendChild(more);
    }
    if (staffOnly) {
      li.appendChild(el("p", "kb-warn small", "For staff only: never send this to the patron."));
    } else if (url) {
      var send = el("button", "kb-send btn-small", "Send link");
      send.type = "button";
      send.setAttribute("aria-label", "Send link: " + (hit.title || url));
      send.disabled = chat.status !== "active";
      send.addEventListener("click", function () { kbInsertLink(chat, url); });
      li.appendChild(send);
    }
    list.appendChild(li);
  });
}

/** Put a public address in the composer; the librarian sends it. */
function kbInsertLink(chat, url) {
  if (chat.composer.disabled) {
    chat.composeMsg.textContent = "This chat has ended: nothing more can be sent.";
    return;
  }
  hooks.resetNote(chat);
  var value = chat.composer.value;
  var next = withLink(value, url);
  if (next !== value.replace(/\s*$/, "")) chat.composer.value = next;
  chat.lastCanned = "";
  hooks.composerChanged(chat);
  chat.composer.focus();
  var end = chat.composer.value.length;
  chat.composer.setSelectionRange(end, end);
  hooks.typed(chat);
  chat.composeMsg.textContent = "Link added to your message: press Send to share it.";
}
