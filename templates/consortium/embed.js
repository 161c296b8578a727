/* AskTogether "Chat now" button. Paste the snippet from your library's admin page:
 *   <div data-asktogether-library="CODE"></div>
 *   <script src="https://SERVER/widget/embed.js" async></script>
 * The button shows whether chat is online and refreshes every 30 seconds. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src).origin : "";
  function render(el, data) {
    var online = !!(data && data.online);
    var link = el.querySelector("a.asktogether-chat") || document.createElement("a");
    link.className = "asktogether-chat";
    link.href = data && data.hours_url ? data.hours_url : base + "/libraries/" + encodeURIComponent(el.dataset.asktogetherLibrary) + "/";
    link.target = "_blank";
    link.rel = "noopener";
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
      refresh(el);
      setInterval(function () { refresh(el); }, 30000);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
