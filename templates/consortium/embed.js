/* AskTogether "Chat now" button. Paste the snippet from your library's admin page:
 *   <div data-asktogether-library="CODE"></div>
 *   <script src="https://SERVER/widget/embed.js" async></script>
 * The button shows whether chat is online and refreshes every 30 seconds.
 * Clicking it (online or not) opens the library's chat in a panel at the
 * bottom right of the page (full screen on a phone); without JavaScript the
 * link leads to the hosted chat page. The panel stays open across reloads of
 * the page (sessionStorage), and the chat itself resumes from its own storage.
 * Optional: data-lang="es" on the div; otherwise the page's <html lang>. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src).origin : "";
  var PANEL_KEY = "asktogether:panel:";
  var TEXT = {
    en: { title: "Chat with a librarian", close: "Close chat" },
    es: { title: "Chat con la biblioteca", close: "Cerrar el chat" }
  };

  function pageLang(el) {
    var l = (el.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "en").toLowerCase();
    return l.slice(0, 2) === "es" ? "es" : "en";
  }
  function chatUrl(code) { return base + "/chat/" + encodeURIComponent(code) + "/"; }
  function remember(code, open) {
    try {
      if (open) window.sessionStorage.setItem(PANEL_KEY + code, "1");
      else window.sessionStorage.removeItem(PANEL_KEY + code);
    } catch (e) { /* storage blocked: the panel just does not reopen */ }
  }
  function remembered(code) {
    try { return window.sessionStorage.getItem(PANEL_KEY + code) === "1"; } catch (e) { return false; }
  }

  /* When the browser refuses storage to the chat's frame (a third party
   * here), the frame hands its chat token and unsent messages to this page,
   * which keeps them for the tab and gives them back on the next load. */
  var FRAME_KEY = "asktogether:frame:";
  function ownsKey(code, key) {
    var prefix = "asktogether:" + code;
    return key === prefix || key.indexOf(prefix + ":") === 0;
  }
  function frameState(code) {
    var out = {}, any = false;
    try {
      for (var i = 0; i < window.sessionStorage.length; i++) {
        var k = window.sessionStorage.key(i);
        if (k && k.indexOf(FRAME_KEY) === 0 && ownsKey(code, k.slice(FRAME_KEY.length))) {
          out[k.slice(FRAME_KEY.length)] = window.sessionStorage.getItem(k);
          any = true;
        }
      }
    } catch (e) { /* storage blocked */ }
    return any ? out : null;
  }
  window.addEventListener("message", function (e) {
    var d = e.data;
    if (e.origin !== base || !d || d.type !== "asktogether:store" || typeof d.key !== "string") return;
    var frames = document.querySelectorAll("iframe.asktogether-frame");
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      if (f.contentWindow === e.source && ownsKey(f.getAttribute("data-code"), d.key)) {
        try {
          if (typeof d.value === "string") window.sessionStorage.setItem(FRAME_KEY + d.key, d.value);
          else window.sessionStorage.removeItem(FRAME_KEY + d.key);
        } catch (err) { /* storage blocked */ }
        return;
      }
    }
  });

  /* The panel's styles go in through the CSSOM (a constructed style sheet),
   * which a host page's Content-Security-Policy does not restrict: a <style>
   * element would need the page's style-src to allow inline styles. Browsers
   * without constructed style sheets get the <style> element. */
  var stylesAdded = false;
  function addStyles() {
    if (stylesAdded || document.getElementById("asktogether-style")) return;
    stylesAdded = true;
    var css = [
      ".asktogether-panel{position:fixed;right:16px;bottom:16px;z-index:2147483000;width:380px;height:600px;",
      "max-width:calc(100vw - 32px);max-height:calc(100vh - 32px);display:flex;flex-direction:column;margin:0;padding:0;",
      "background:#fff;border:1px solid #8c959f;border-radius:10px;box-shadow:0 8px 28px rgba(0,0,0,.28);overflow:hidden;",
      "font:16px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;text-align:left}",
      ".asktogether-panel[hidden]{display:none}",
      ".asktogether-bar{flex:none;display:flex;align-items:center;justify-content:space-between;gap:8px;",
      "margin:0;padding:4px 4px 4px 12px;background:#0b3d6e;color:#fff}",
      ".asktogether-bar-title{margin:0;padding:0;font:600 15px/1.3 system-ui,-apple-system,'Segoe UI',sans-serif;color:#fff;",
      "overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
      ".asktogether-close{flex:none;display:inline-flex;align-items:center;justify-content:center;gap:4px;",
      "min-width:44px;min-height:40px;margin:0;padding:0 10px;border:0;border-radius:6px;background:transparent;",
      "color:#fff;font:600 15px/1 system-ui,-apple-system,'Segoe UI',sans-serif;cursor:pointer;text-transform:none}",
      ".asktogether-close:hover{background:#0b5cad}",
      ".asktogether-close:focus-visible{outline:3px solid #fff;outline-offset:-5px}",
      ".asktogether-close svg{width:18px;height:18px}",
      ".asktogether-frame{flex:1 1 auto;display:block;width:100%;height:100%;min-height:0;margin:0;padding:0;border:0;background:#fff}",
      "a.asktogether-chat:focus-visible{outline:3px solid #1b1f24;outline-offset:2px}",
      "@media (max-width:599px){.asktogether-panel{top:0;right:0;bottom:0;left:0;width:100%;height:100%;",
      "max-width:none;max-height:none;border:0;border-radius:0;box-shadow:none}}",
      "@media (prefers-reduced-motion:no-preference){.asktogether-panel{animation:asktogether-in .15s ease-out}}",
      "@keyframes asktogether-in{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}"
    ].join("");
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      document.adoptedStyleSheets = Array.prototype.concat.call(
        Array.prototype.slice.call(document.adoptedStyleSheets), [sheet]);
      return;
    } catch (e) { /* no constructed style sheets: use a <style> element */ }
    var style = document.createElement("style");
    style.id = "asktogether-style";
    style.textContent = css;
    (document.head || document.documentElement).appendChild(style);
  }

  /* One panel per library code on the page. */
  function openPanel(el, focus) {
    var code = el.dataset.asktogetherLibrary;
    var lang = pageLang(el);
    var panelId = "asktogether-panel-" + code.replace(/[^A-Za-z0-9_-]/g, "");
    var panel = document.getElementById(panelId);
    var link = el.querySelector("a.asktogether-chat");
    addStyles();
    if (!panel) {
      panel = document.createElement("section");
      panel.id = panelId;
      panel.className = "asktogether-panel";
      panel.setAttribute("role", "region");
      panel.setAttribute("aria-label", TEXT[lang].title);
      panel.setAttribute("lang", lang);
      var bar = document.createElement("div");
      bar.className = "asktogether-bar";
      var title = document.createElement("p");
      title.className = "asktogether-bar-title";
      title.textContent = TEXT[lang].title;
      var close = document.createElement("button");
      close.type = "button";
      close.className = "asktogether-close";
      close.setAttribute("aria-label", TEXT[lang].close);
      close.title = TEXT[lang].close;
      close.innerHTML = '<svg aria-hidden="true" focusable="false" viewBox="0 0 24 24"><path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" fill="none"/></svg>';
      close.addEventListener("click", function () { closePanel(el); });
      bar.appendChild(title);
      bar.appendChild(close);
      var frame = document.createElement("iframe");
      frame.className = "asktogether-frame";
      frame.title = TEXT[lang].title;
      frame.setAttribute("allow", "clipboard-write");
      frame.setAttribute("data-code", code);
      var kept = frameState(code);
      frame.src = chatUrl(code) + "?embed=1&lang=" + lang + "&ref=" + encodeURIComponent(location.href) +
        (kept ? "#at=" + encodeURIComponent(JSON.stringify(kept)) : "");
      panel.appendChild(bar);
      panel.appendChild(frame);
      panel.addEventListener("keydown", function (e) {
        if (e.key === "Escape") { e.preventDefault(); closePanel(el); }
      });
      document.body.appendChild(panel);
    }
    panel.hidden = false;
    remember(code, true);
    if (link) {
      link.setAttribute("aria-expanded", "true");
      link.setAttribute("aria-controls", panelId);
    }
    if (focus) {
      var f = panel.querySelector("iframe");
      try { f.focus(); } catch (e) { /* ignore */ }
    }
  }
  function closePanel(el) {
    var code = el.dataset.asktogetherLibrary;
    var panel = document.getElementById("asktogether-panel-" + code.replace(/[^A-Za-z0-9_-]/g, ""));
    // Removed, not hidden: a closed panel holds no socket open.
    if (panel && panel.parentNode) panel.parentNode.removeChild(panel);
    remember(code, false);
    var link = el.querySelector("a.asktogether-chat");
    if (link) {
      link.setAttribute("aria-expanded", "false");
      link.focus();
    }
  }

  function render(el, data) {
    var online = !!(data && data.online);
    var link = el.querySelector("a.asktogether-chat");
    if (!link) {
      link = document.createElement("a");
      link.className = "asktogether-chat";
      link.setAttribute("aria-expanded", "false");
      link.addEventListener("click", function (e) {
        // Let a new tab or window open the hosted page as usual.
        if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        openPanel(el, true);
      });
    }
    link.href = chatUrl(el.dataset.asktogetherLibrary);
    link.textContent = online ? "Chat now \u2014 a librarian is online" : "Chat offline \u2014 see our hours";
    link.setAttribute("data-online", online ? "true" : "false");
    link.style.cssText = "display:inline-block;padding:.6em 1.1em;border-radius:.4em;font:600 1em system-ui,sans-serif;text-decoration:none;color:#fff;background:" + (online ? "#116329" : "#57606a");
    if (!link.parentNode) el.appendChild(link);
  }
  function refresh(el) {
    var code = el.dataset.asktogetherLibrary;
    fetch(base + "/widget/" + encodeURIComponent(code) + "/status.json", { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { render(el, data); })
      .catch(function () { render(el, null); });
  }
  function start() {
    var els = document.querySelectorAll("[data-asktogether-library]");
    Array.prototype.forEach.call(els, function (el) {
      if (!el.dataset.asktogetherLibrary) return;
      refresh(el);
      setInterval(function () { refresh(el); }, 30000);
      if (remembered(el.dataset.asktogetherLibrary)) openPanel(el, false);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
