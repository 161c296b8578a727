/* AskTogether librarian desk (SPEC L3-L9, L12): one websocket /ws/desk/,
 * the waiting list, several chats at once, transfers, wrap-up, alerts and who
 * is on duty. The protocol is docs/chat-protocol.md.
 *
 * Every piece of user text (messages, names, questions, notes) is put in the
 * page with textContent, never as HTML. Plain JavaScript, no build step. */
(function () {
  "use strict";

  // ---------------------------------------------------------------- setup
  var configNode = document.getElementById("desk-config");
  var config = {};
  try {
    config = JSON.parse(configNode ? configNode.textContent : "{}") || {};
  } catch (e) {
    config = {};
  }
  if (typeof config !== "object") config = {};
  var me = config.me || {};
  var WS_URL = config.ws_url || "/ws/desk/";
  var API = (config.api || "/desk/api/").replace(/\/?$/, "/");
  var MAX_CHARS = config.max_message_chars || 4000;
  var MAX_FILE = config.max_file_bytes || 10 * 1024 * 1024;
  var LONG_CHARS = 600;
  var RISK_SECONDS = 60;
  var HIGHLIGHT_SECONDS = 180;
  var HEARTBEAT_MS = 20000;
  // A librarian who has not touched the desk for this long, with no chat
  // open, stops monitoring (SPEC L11: idle librarians go away automatically).
  var IDLE_AWAY_MS = 30 * 60 * 1000;
  var STALE_MS = 55000;
  var REFUSED = [4401, 4403];
  var STORE = "asktogether:desk:";
  var FOLLOWUP_CODES = ["followup_library", "followup_me"];

  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  var statusLine = $("#connection");
  // Its own line: a reconnect rewrites the connection line, and a librarian back
  // from a break must still read why they are no longer monitoring.
  var awayNotice = $("#away-notice");
  if (!statusLine) return;  // interns: nothing live on this page
  var waitingList = $("#waiting");
  var waitingEmpty = $("#waiting-empty");
  var waitingCount = $("#waiting-count");
  var waitingMsg = $("#waiting-msg");
  var alertsBox = $("#alerts");
  var onDutyList = $("#on-duty");
  var onDutyEmpty = $("#on-duty-empty");
  var panelsBox = $("#chat-panels");
  var tabsBox = $("#chat-tabs");
  var noChats = $("#no-chats");
  var chatCount = $("#chat-count");
  var announcer = $("#announcer");
  var panelTemplate = $("#chat-panel-template");
  var muteButton = $("#mute");
  var baseTitle = document.title;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function storeGet(key, fallback) {
    try {
      var raw = window.sessionStorage.getItem(STORE + key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }
  function storeSet(key, value) {
    try {
      if (value === null || value === undefined) window.sessionStorage.removeItem(STORE + key);
      else window.sessionStorage.setItem(STORE + key, JSON.stringify(value));
    } catch (e) { /* private mode: nothing kept across reloads */ }
  }

  function newClientId() {
    var rand = "";
    if (window.crypto && window.crypto.getRandomValues) {
      var bytes = new Uint8Array(8);
      window.crypto.getRandomValues(bytes);
      for (var i = 0; i < bytes.length; i++) rand += bytes[i].toString(16).padStart(2, "0");
    } else {
      rand = Math.random().toString(16).slice(2);
    }
    return "d-" + Date.now().toString(36) + "-" + rand;
  }

  function chars(text) { return Array.from(text).length; }

  function safeHref(url) {
    // Only this site's paths and http(s) addresses become links.
    if (typeof url !== "string" || !url) return null;
    if (url.charAt(0) === "/" && url.charAt(1) !== "/" && url.charAt(1) !== "\\") return url;
    try {
      var parsed = new URL(url, window.location.href);
      if (parsed.protocol === "http:" || parsed.protocol === "https:") return parsed.href;
    } catch (e) { /* not a URL */ }
    return null;
  }

  function link(url, text, external) {
    var href = safeHref(url);
    if (!href) return el("span", null, text || url || "");
    var a = el("a", null, text || url);
    a.href = href;
    if (external) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
    return a;
  }

  function timeText(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d)) return "";
    return d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
  }
  function dateTimeText(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d)) return "";
    return d.toLocaleString([], {year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"});
  }
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    if (m >= 60) return Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min";
    return m + ":" + String(s).padStart(2, "0");
  }
  function fileSize(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / 1024 / 1024).toFixed(1) + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
    return bytes + " bytes";
  }
  function localDate(offsetDays) {
    var d = new Date();
    d.setDate(d.getDate() + (offsetDays || 0));
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  // ---------------------------------------------------------------- HTTP
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = $("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /** fetch with the session and CSRF token; resolves {ok, status, data}. */
  function api(method, path, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: {"Accept": "application/json"}
    };
    if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken();
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    var url = path.charAt(0) === "/" ? path : API + path;
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : {}; } catch (e) { data = null; }
        if (!data || typeof data !== "object") {
          data = response.ok ? {} : {error: errorForStatus(response.status)};
        }
        if (!response.ok && !data.error) data.error = errorForStatus(response.status);
        return {ok: response.ok, status: response.status, data: data};
      });
    }, function () {
      return {ok: false, status: 0, data: {error: "The server did not answer; check your connection and try again."}};
    });
  }

  function errorForStatus(status) {
    if (status === 403) return "You are not allowed to do this (signed out? Reload the page).";
    if (status === 404) return "This chat no longer exists.";
    if (status === 413) return "That is too big to send.";
    if (status >= 500) return "The server had a problem; try again in a moment.";
    return "That did not work (error " + status + ").";
  }

  // ---------------------------------------------------------------- sound
  var muted = false;
  try { muted = window.localStorage.getItem(STORE + "mute") === "1"; } catch (e) { muted = false; }
  var audio = null;

  function audioContext() {
    if (!audio) {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      try { audio = new Ctx(); } catch (e) { return null; }
    }
    if (audio.state === "suspended") audio.resume().catch(function () {});
    return audio;
  }
  // Browsers allow sound only after a gesture: unlock on the first one.
  function unlockAudio() {
    audioContext();
    document.removeEventListener("pointerdown", unlockAudio, true);
    document.removeEventListener("keydown", unlockAudio, true);
  }
  document.addEventListener("pointerdown", unlockAudio, true);
  document.addEventListener("keydown", unlockAudio, true);

  function beep(urgent) {
    if (muted) return;
    var ctx = audioContext();
    if (!ctx) return;
    try {
      var notes = urgent ? [880, 660, 880] : [660, 880];
      var t = ctx.currentTime + 0.01;
      notes.forEach(function (freq, i) {
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.type = "sine";
        osc.frequency.value = freq;
        var start = t + i * 0.16;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.14);
        osc.connect(gain).connect(ctx.destination);
        osc.start(start);
        osc.stop(start + 0.15);
      });
    } catch (e) { /* no sound available */ }
  }

  function showMute() {
    if (!muteButton) return;
    muteButton.setAttribute("aria-pressed", muted ? "true" : "false");
    muteButton.textContent = muted ? "Sounds muted" : "Mute sounds";
    muteButton.title = muted ? "Sounds are off; press to turn them on" : "Press to turn alert sounds off";
  }
  if (muteButton) {
    showMute();
    muteButton.addEventListener("click", function () {
      muted = !muted;
      try { window.localStorage.setItem(STORE + "mute", muted ? "1" : "0"); } catch (e) { /* ignore */ }
      showMute();
      if (!muted) beep(false);
    });
  }

  // ---------------------------------------------------------------- socket
  var socket = null;
  var heartbeat = null;
  var reconnectTimer = null;
  var backoff = 0;
  var lastHeard = 0;
  var refused = false;

  function isOpen() { return socket && socket.readyState === WebSocket.OPEN; }

  function send(frame) {
    if (!isOpen()) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    if (refused) return;
    window.clearTimeout(reconnectTimer);
    reconnectTimer = null;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = /^wss?:\/\//.test(WS_URL) ? WS_URL : scheme + window.location.host + WS_URL;
    var ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = function () {
      if (ws !== socket) return;
      backoff = 0;
      lastHeard = Date.now();
      statusLine.textContent = "Connected. New chats are offered for the queues you monitor.";
      statusLine.classList.remove("connection-lost");
      window.clearInterval(heartbeat);
      heartbeat = window.setInterval(beat, HEARTBEAT_MS);
      send({type: "heartbeat"});  // at once: a reload keeps the monitors fresh
      // Catch up every open chat, then resend what was never acknowledged.
      chats.forEach(function (chat) { openChat(chat); });
      chats.forEach(function (chat) {
        resendPending(chat);
        if (chat.composeMsg.textContent === OFFLINE_NOTE) chat.composeMsg.textContent = "";
      });
    };
    ws.onmessage = function (event) {
      if (ws !== socket) return;
      lastHeard = Date.now();
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (!frame || typeof frame !== "object") return;
      try {
        handle(frame);
      } catch (error) {
        if (window.console) window.console.error("desk: frame failed", frame, error);
      }
    };
    ws.onclose = function (event) {
      if (ws !== socket) return;
      window.clearInterval(heartbeat);
      socket = null;
      if (REFUSED.indexOf(event.code) !== -1) {
        // The error frame before the close said why; do not retry.
        refused = true;
        statusLine.classList.add("connection-lost");
        if (lastError && Date.now() - lastError.at < 5000) {
          statusLine.textContent = lastError.message;
        } else {
          statusLine.textContent = event.code === 4401
            ? "You are signed out. Sign in again and reload the page."
            : "Your role does not staff chat queues.";
        }
        return;
      }
      statusLine.classList.add("connection-lost");
      statusLine.textContent = "Connection lost; reconnecting…";
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (refused || reconnectTimer) return;
    var delay = Math.min(30000, 1000 * Math.pow(2, backoff)) * (0.75 + Math.random() * 0.5);
    backoff = Math.min(backoff + 1, 5);
    reconnectTimer = window.setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function beat() {
    if (!isOpen()) return;
    if (Date.now() - lastHeard > STALE_MS) {
      // No answer to heartbeats: the connection is dead even if the browser
      // has not noticed. Drop it and start a new one.
      var dead = socket;
      socket = null;
      window.clearInterval(heartbeat);
      try { dead.close(4000, "stale"); } catch (e) { /* ignore */ }
      statusLine.textContent = "Connection lost; reconnecting…";
      statusLine.classList.add("connection-lost");
      scheduleReconnect();
      return;
    }
    if (awayWhenIdle()) return;
    send({type: "heartbeat"});
  }

  var lastActivity = Date.now();
  ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "focus"].forEach(
    function (name) {
      window.addEventListener(name, function () { lastActivity = Date.now(); }, {passive: true});
    }
  );

  function awayWhenIdle() {
    if (Date.now() - lastActivity < IDLE_AWAY_MS) return false;
    var busy = false;
    chats.forEach(function (chat) { if (chat.status === "active") busy = true; });
    var monitored = monitorButtons.filter(function (b) {
      return b.getAttribute("aria-pressed") === "true";
    });
    if (busy || !monitored.length) return false;
    monitored.forEach(function (b) {
      send({type: "unmonitor", queue: Number(b.dataset.queue)});
    });
    awayNotice.textContent = "You were away for " + (IDLE_AWAY_MS / 60000) +
      " minutes, so you stopped monitoring. Press Monitor to take chats again.";
    awayNotice.hidden = false;
    return true;
  }

  window.addEventListener("online", function () {
    if (!socket && !refused) { backoff = 0; connect(); }
  });

  function handle(frame) {
    switch (frame.type) {
      case "monitoring": showMonitoring(frame.queues || []); break;
      case "waiting": showWaiting(frame.chats || []); break;
      case "waiting_add": addWaiting(frame.chat); break;
      case "waiting_remove": removeWaiting(frame.conversation); break;
      case "mine": showMine(frame.chats || []); break;
      case "accepted": onAccepted(frame.conversation); break;
      case "messages": onMessages(frame.conversation, frame.messages || []); break;
      case "message": onMessage(frame.conversation, frame.message); break;
      case "ack": onAck(frame); break;
      case "typing": onTyping(frame.conversation, frame.typing); break;
      case "conversation": onConversation(frame.conversation); break;
      case "alert": onAlert(frame); break;
      case "tickets": ticketsChanged(); break;
      case "on_duty": showOnDuty(frame.librarians || []); break;
      case "error": onError(frame); break;
      default: break;  // heartbeat_ack and anything newer
    }
  }

  // ---------------------------------------------------------------- monitoring
  var monitorButtons = $$("button.monitor");

  function showMonitoring(queues) {
    monitorButtons.forEach(function (b) {
      var on = queues.indexOf(Number(b.dataset.queue)) !== -1;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.textContent = on ? "Stop monitoring" : "Monitor";
      b.removeAttribute("aria-busy");
    });
  }

  monitorButtons.forEach(function (b) {
    b.addEventListener("click", function () {
      var on = b.getAttribute("aria-pressed") === "true";
      if (!send({type: on ? "unmonitor" : "monitor", queue: Number(b.dataset.queue)})) {
        statusLine.textContent = "Not connected yet; try again in a moment.";
        return;
      }
      if (!on) awayNotice.hidden = true;
      b.setAttribute("aria-busy", "true");
    });
  });

  // ---------------------------------------------------------------- waiting list
  var waitingRows = new Map();  // id -> {li, chat, since}
  var seenWaiting = new Set();
  var takenUntil = new Map();   // id -> time the "taken" notice may go away
  var waitingIds = new Set();

  function buildWaitingRow(id) {
    var li = el("li", "waiting-chat");
    li.dataset.conversation = String(id);
    var head = el("div", "w-head");
    head.appendChild(el("strong", "w-library"));
    head.appendChild(el("span", "w-queue muted"));
    head.appendChild(el("span", "badge w-resident"));
    head.appendChild(el("span", "badge w-for-me", "Transferred to you"));
    li.appendChild(head);
    li.appendChild(el("div", "w-patron"));
    var question = el("p", "w-question");
    question.id = "w-question-" + id;
    li.appendChild(question);
    li.appendChild(el("p", "w-transfer"));
    var foot = el("div", "w-foot");
    var wait = el("span", "wait");
    foot.appendChild(wait);
    foot.appendChild(el("span", "risk"));
    var accept = el("button", "accept", "Accept");
    accept.type = "button";
    accept.dataset.conversation = String(id);
    accept.setAttribute("aria-describedby", question.id);
    accept.addEventListener("click", function () { acceptChat(id, accept); });
    foot.appendChild(accept);
    li.appendChild(foot);
    var note = el("p", "w-note");
    note.setAttribute("role", "status");
    li.appendChild(note);
    return li;
  }

  function fillWaitingRow(row) {
    var li = row.li, c = row.chat;
    $(".w-library", li).textContent = (c.library && c.library.name) || "";
    $(".w-queue", li).textContent = c.queue || "";
    var res = $(".w-resident", li);
    res.textContent = c.resident ? "Resident" : "Non-resident";
    res.classList.toggle("badge-resident", !!c.resident);
    res.classList.toggle("badge-nonresident", !c.resident);
    $(".w-for-me", li).hidden = !c.for_me;
    var who = c.patron_name ? c.patron_name : "Anonymous patron";
    $(".w-patron", li).textContent = who + (c.patron_status ? " — " + c.patron_status : "");
    $(".w-question", li).textContent = c.question || "";
    var transfer = $(".w-transfer", li);
    if (c.transfer) {
      transfer.textContent = "Transferred by " + (c.transfer.from || "a colleague") + ": " + (c.transfer.note || "");
      transfer.hidden = false;
    } else {
      transfer.textContent = "";
      transfer.hidden = true;
    }
    li.classList.toggle("for-me", !!c.for_me);
  }

  function tickWaiting() {
    var now = Date.now();
    waitingRows.forEach(function (row) {
      if (row.taken) return;
      var seconds = (now - row.since) / 1000;
      var risk = row.chat.at_risk || seconds >= RISK_SECONDS;
      var long = row.chat.highlight || seconds >= HIGHLIGHT_SECONDS;
      $(".wait", row.li).textContent = "Waiting " + duration(seconds);
      row.li.classList.toggle("at-risk", risk && !long);
      row.li.classList.toggle("long-wait", long);
      $(".risk", row.li).textContent = long ? "Waiting over 3 minutes" : risk ? "At risk of being missed" : "";
    });
    takenUntil.forEach(function (until, id) {
      if (until <= now) {
        takenUntil.delete(id);
        var row = waitingRows.get(id);
        if (row && row.taken) {
          row.li.remove();
          waitingRows.delete(id);
          updateWaitingCount();
        }
      }
    });
  }

  // One waiting chat's row, created or refreshed; true if the chat is new.
  function putWaiting(c) {
    var fresh = !seenWaiting.has(c.id);
    seenWaiting.add(c.id);
    var row = waitingRows.get(c.id);
    if (!row || row.taken) {
      if (row) row.li.remove();
      row = {li: buildWaitingRow(c.id)};
      waitingRows.set(c.id, row);
    }
    row.chat = c;
    var since = Date.parse(c.waiting_since || c.requested_at);
    row.since = isNaN(since) ? Date.now() : since;
    fillWaitingRow(row);
    return {row: row, fresh: fresh};
  }

  function dropWaitingRow(id) {
    var row = waitingRows.get(id);
    if (!row || row.taken) return;
    if (row.li.contains(document.activeElement)) $("#waiting-heading").focus();
    row.li.remove();
    waitingRows.delete(id);
  }

  function waitingChanged(fresh) {
    // Alerts about waiting chats go away with the chat.
    $$(".alert[data-waiting]", alertsBox).forEach(function (node) {
      var cid = Number(node.dataset.conversation);
      if (!waitingIds.has(cid) && seenWaiting.has(cid)) node.remove();
    });
    tickWaiting();
    updateWaitingCount();
    if (fresh) beep(false);
  }

  // Pickup order, as the server sorts: residents first, then longest waiting.
  function pickupBefore(a, b) {
    if (!!a.resident !== !!b.resident) return !!a.resident;
    var ta = Date.parse(a.requested_at), tb = Date.parse(b.requested_at);
    if (ta !== tb) return ta < tb;
    return a.id < b.id;
  }

  function showWaiting(list) {
    var fresh = false;
    var ids = new Set();
    var previous = null;
    list.forEach(function (c) {
      if (typeof c.id !== "number") return;
      ids.add(c.id);
      var put = putWaiting(c);
      fresh = fresh || put.fresh;
      // Keep pickup order without moving rows needlessly (moving loses focus).
      var expected = previous ? previous.nextSibling : waitingList.firstChild;
      if (expected !== put.row.li) waitingList.insertBefore(put.row.li, expected);
      previous = put.row.li;
    });
    waitingRows.forEach(function (row, id) { if (!ids.has(id)) dropWaitingRow(id); });
    waitingIds = ids;
    waitingChanged(fresh);
  }

  // The server's `waiting_add`: one chat offered to this desk (new, or its
  // row changed); it goes in its place in pickup order.
  function addWaiting(c) {
    if (!c || typeof c.id !== "number" || chats.has(c.id)) return;
    var put = putWaiting(c);
    var before = null;
    waitingRows.forEach(function (other, id) {
      if (id === c.id || other.taken || !other.chat) return;
      if (pickupBefore(c, other.chat) && (!before || pickupBefore(other.chat, before.chat))) before = other;
    });
    var at = before ? before.li : null;
    // Moving a row that is in place would lose its focus.
    if (!put.row.li.isConnected || put.row.li.nextSibling !== at) waitingList.insertBefore(put.row.li, at);
    waitingIds.add(c.id);
    waitingChanged(put.fresh);
  }

  // The server's `waiting_remove`: picked up, ended or no longer offered here.
  function removeWaiting(id) {
    if (typeof id !== "number") return;
    dropWaitingRow(id);
    waitingIds.delete(id);
    waitingChanged(false);
  }

  function updateWaitingCount() {
    var n = 0;
    waitingRows.forEach(function (row) { if (!row.taken) n++; });
    waitingCount.textContent = String(n);
    waitingCount.classList.toggle("count-hot", n > 0);
    waitingEmpty.hidden = waitingRows.size > 0;
    document.title = (n > 0 ? "(" + n + ") " : "") + baseTitle;
  }

  function acceptChat(id, button) {
    waitingMsg.textContent = "";
    if (!send({type: "accept", conversation: id})) {
      waitingMsg.textContent = "Not connected; wait for the connection to come back.";
      return;
    }
    button.disabled = true;
    button.textContent = "Accepting…";
    window.setTimeout(function () {
      // No answer within 10 s: let the librarian try again.
      if (button.isConnected && button.disabled && !chats.has(id)) {
        button.disabled = false;
        button.textContent = "Accept";
      }
    }, 10000);
  }

  function markTaken(id, message) {
    var row = waitingRows.get(id);
    if (!row) {
      waitingMsg.textContent = message || "Another librarian picked this up.";
      return;
    }
    row.taken = true;
    row.li.classList.remove("at-risk", "long-wait");
    row.li.classList.add("taken");
    var accept = $(".accept", row.li);
    if (accept) {
      if (accept === document.activeElement) $("#waiting-heading").focus();
      accept.remove();
    }
    $(".risk", row.li).textContent = "";
    $(".w-note", row.li).textContent = "Another librarian picked this up.";
    takenUntil.set(id, Date.now() + 3000);
    updateWaitingCount();
  }

  window.setInterval(tickWaiting, 1000);

  // ---------------------------------------------------------------- chats
  var chats = new Map();  // id -> chat

  function rewriteIds(root, suffix) {
    var attrs = ["for", "aria-labelledby", "aria-describedby", "aria-controls"];
    $$("[id]", root).concat([root]).forEach(function (node) {
      if (node.id && node.id.indexOf("cp-") === 0) node.id = node.id + "-" + suffix;
    });
    $$("*", root).concat([root]).forEach(function (node) {
      attrs.forEach(function (name) {
        var value = node.getAttribute(name);
        if (!value) return;
        node.setAttribute(name, value.split(/\s+/).map(function (token) {
          return token.indexOf("cp-") === 0 ? token + "-" + suffix : token;
        }).join(" "));
      });
    });
  }

  function fillSelect(select, options, placeholder) {
    select.textContent = "";
    if (placeholder) {
      var empty = el("option", null, placeholder);
      empty.value = "";
      select.appendChild(empty);
    }
    (options || []).forEach(function (pair) {
      var option = el("option", null, pair[1]);
      option.value = String(pair[0]);
      select.appendChild(option);
    });
  }

  /** The panel of one chat; `detail` when we already have it. Once the
   * socket is open the chat is caught up (`open`) and unsent messages go. */
  function createChat(id, summary, detail) {
    var existing = chats.get(id);
    if (existing) {
      if (detail) applyDetail(existing, detail);
      return existing;
    }
    var root = panelTemplate.content.firstElementChild.cloneNode(true);
    rewriteIds(root, id);
    root.dataset.conversation = String(id);
    root.id = "chat-" + id;
    var chat = {
      id: id,
      root: root,
      log: $(".chat-log", root),
      composer: $(".composer", root),
      noteToggle: $(".note-toggle", root),
      sendButton: $(".send", root),
      composeMsg: $(".compose-msg", root),
      typingLine: $(".typing", root),
      statusText: $(".cp-status", root),
      wrapup: $(".wrapup-form", root),
      transferForm: $(".transfer-form", root),
      seqs: new Map(),
      maxSeq: 0,
      pending: new Map(),
      detail: null,
      summary: summary || null,
      status: (summary && summary.status) || "active",
      wrappedUp: false,
      closing: false,
      unread: 0,
      lastCanned: "",
      canned: null,
      typingSent: 0,
      typingStop: null,
      patronTypingTimer: null,
      wrapupShown: false
    };
    chats.set(id, chat);

    // Tab ("jump to") button.
    var tab = el("button", "chat-tab");
    tab.type = "button";
    tab.dataset.conversation = String(id);
    tab.setAttribute("aria-controls", root.id);
    tab.appendChild(el("span", "tab-name"));
    tab.appendChild(el("span", "tab-unread"));
    tab.addEventListener("click", function () { focusChat(chat); });
    chat.tab = tab;
    tabsBox.appendChild(tab);

    // Wrap-up selects from the configuration.
    fillSelect($("[name=resolution]", root), config.resolutions || [
      ["answered", "Answered"], ["followup_library", "Follow Up by Patron's Library"],
      ["followup_me", "Follow Up by Me"], ["lost_call", "Lost Call"]]);
    $("[name=resolution]", root).value = "answered";
    fillSelect($("[name=question_type]", root), config.question_types || [
      ["directional", "Directional"], ["policy_hours", "Policy / hours"],
      ["account_login", "Account / login"], ["e_resources", "E-resources / technical"],
      ["known_item", "Known item"], ["research", "Research"], ["other", "Other"]], "Choose…");
    fillSelect($("[name=read_scale]", root), config.read_scale || [[1, "1"], [2, "2"], [3, "3"], [4, "4"], [5, "5"], [6, "6"]], "Choose…");
    $("[name=followup_due]", root).value = localDate(2);
    $("[name=followup_due]", root).min = localDate(0);

    wirePanel(chat);
    renderTitle(chat);
    panelsBox.appendChild(root);

    // A draft and unsent messages survive a reload of the page.
    var draft = storeGet("draft:" + id, "");
    if (draft) { chat.composer.value = draft; composerChanged(chat); }
    storeGet("pending:" + id, []).forEach(function (p) {
      if (p && p.client_id && p.body) addPending(chat, p.client_id, p.body, !!p.note);
    });

    updateChatCount();
    if (detail) applyDetail(chat, detail);
    if (chat.closing) return chat;
    if (isOpen()) {
      openChat(chat);
      resendPending(chat);
    }
    loadCanned(chat);
    return chat;
  }

  function updateChatCount() {
    var n = chats.size;
    chatCount.textContent = String(n) + (me.max_chats ? " of " + me.max_chats : "");
    noChats.hidden = n > 0;
    tabsBox.hidden = n < 2;
  }

  function renderTitle(chat) {
    var d = chat.detail, s = chat.summary;
    var name = (d && d.patron && d.patron.name) || (s && s.patron_name) || "Patron";
    var library = (d && d.library && d.library.name) || (s && s.library && s.library.name) || "";
    $(".cp-title", chat.root).textContent = name + (library ? " — " + library : "") + " (#" + chat.id + ")";
    $(".tab-name", chat.tab).textContent = name + (library ? " · " + (((d && d.library) || (s && s.library) || {}).code || library) : "") + " #" + chat.id;
    renderStatus(chat);
  }

  function renderStatus(chat) {
    var text = "";
    if (chat.gone) text = chat.gone;
    else if (chat.status === "active") text = "Active";
    else if (chat.status === "ended" || chat.status === "missed") text = chat.wrappedUp ? "Wrapped up" : "Ended — wrap-up needed";
    else if (chat.status === "waiting") text = "Waiting";
    chat.statusText.textContent = text;
    chat.root.classList.toggle("is-ended", chat.status !== "active");
    chat.tab.classList.toggle("tab-ended", chat.status !== "active");
  }

  function focusChat(chat) {
    chat.unread = 0;
    updateUnread(chat);
    chat.root.scrollIntoView({block: "start", behavior: "smooth"});
    if (!chat.composer.disabled) chat.composer.focus({preventScroll: true});
    else chat.root.focus({preventScroll: true});
  }

  function updateUnread(chat) {
    var badge = $(".tab-unread", chat.tab);
    badge.textContent = chat.unread ? String(chat.unread) + " new" : "";
    chat.tab.classList.toggle("has-unread", chat.unread > 0);
  }

  function openChat(chat) {
    send({type: "open", conversation: chat.id, after: chat.maxSeq});
  }

  function loadDetail(chat) {
    return api("GET", "conversations/" + chat.id).then(function (answer) {
      if (answer.ok) applyDetail(chat, answer.data);
      else if (answer.status === 404) closeChat(chat, "The chat #" + chat.id + " is no longer yours.");
      else chat.composeMsg.textContent = answer.data.error;
      return answer;
    });
  }

  function applyDetail(chat, d) {
    if (!d || typeof d !== "object" || chat.closing) return;
    if (d.mine === false) {
      // Transferred away (the server may send only {id, status, mine}).
      markGone(chat, d.status === "transferred" || d.status === "waiting" ? "Transferred" : "No longer yours");
      return;
    }
    chat.detail = d;
    chat.status = d.status || chat.status;
    chat.wrappedUp = !!d.wrapped_up;
    (d.messages || []).forEach(function (m) { addMessage(chat, m); });
    renderTitle(chat);
    renderSidePane(chat, d);
    kbSuggest(chat);
    if (d.wrapped_up) {
      closeChat(chat, "Chat with " + patronName(chat) + " wrapped up.");
      return;
    }
    setActive(chat, d.status === "active");
    if (d.status === "ended" || d.status === "missed") {
      dropAlerts(chat.id);
      var menu = $(".cp-menu", chat.root);
      if (menu) menu.open = false;
      showWrapup(chat, false);
    }
    var email = $("[name=followup_email]", chat.root);
    if (!email.value && d.patron && d.patron.email) email.value = d.patron.email;
  }

  function patronName(chat) {
    var d = chat.detail, s = chat.summary;
    return (d && d.patron && d.patron.name) || (s && s.patron_name) || "the patron";
  }

  function setActive(chat, active) {
    chat.composer.disabled = !active;
    chat.sendButton.disabled = !active;
    $(".attach", chat.root).disabled = !active;
    $(".canned", chat.root).disabled = !active;
    $(".transfer", chat.root).disabled = !active;
    $(".end", chat.root).disabled = !active;
    $$(".inappropriate, .crisis, .crisis-yes, .kb-send", chat.root).forEach(function (b) { b.disabled = !active; });
    // Notes stay possible on an ended chat? The server decides; keep the
    // composer closed once the chat is over so nothing seems sent.
    renderStatus(chat);
  }

  function renderSidePane(chat, d) {
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
    var email = $(".sp-email", root);
    email.textContent = "";
    if (p.email) {
      var mail = el("a", null, p.email);
      mail.href = "mailto:" + encodeURIComponent(p.email).replace(/%40/g, "@");
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
      prior.appendChild(el("li", "muted", p.email ? "None with this email." : "None known (no email given)."));
    }
    $(".nonresident-banner", root).hidden = !d.non_resident;
    var coop = $(".coop-hint", root);
    if (d.is_coop) {
      coop.textContent = "Co-op chat: this patron is from " + (lib.name || "another library") +
        ", another library of the cooperative. Check its hours and policy pages before answering.";
      coop.hidden = false;
    } else {
      coop.hidden = true;
    }
  }

  // ---------------------------------------------------------------- messages
  function messageWho(chat, m) {
    if (m.sender === "patron") return patronName(chat) === "the patron" ? "Patron" : patronName(chat);
    if (m.sender === "librarian") return m.author || "Librarian";
    if (m.sender === "note") return "Internal note" + (m.author ? " · " + m.author : "");
    return "";
  }

  function renderMessage(chat, node, m, local) {
    node.className = "msg msg-" + (["patron", "librarian", "system", "note"].indexOf(m.sender) !== -1 ? m.sender : "system");
    node.textContent = "";
    var head = el("div", "msg-head");
    var who = messageWho(chat, m);
    if (who) head.appendChild(el("span", "msg-who", who));
    var time = el("time", "msg-time", timeText(m.created_at));
    if (m.created_at) time.dateTime = m.created_at;
    head.appendChild(time);
    node.appendChild(head);
    if (m.body) node.appendChild(el("p", "msg-body", m.body));
    messageFiles(m).forEach(function (att) {
      var p = el("p", "msg-file");
      var a = link(att.url, "File: " + (att.name || "attachment") + (att.size ? " (" + fileSize(att.size) + ")" : ""), false);
      if (a.tagName === "A") a.setAttribute("download", "");
      p.appendChild(a);
      node.appendChild(p);
    });
    if (local) node.appendChild(el("span", "msg-state", "sending…"));
  }

  // A message's files: `attachments` (several for an email), or the single
  // `attachment` of servers that sent only that.
  function messageFiles(m) {
    if (Array.isArray(m.attachments)) return m.attachments;
    return m.attachment ? [m.attachment] : [];
  }

  function placeBySeq(chat, node, seq) {
    var children = chat.log.children;
    for (var i = 0; i < children.length; i++) {
      var child = children[i];
      if (!child.classList.contains("msg")) continue;
      var s = child.dataset.seq ? Number(child.dataset.seq) : Infinity;
      if (s > seq) { chat.log.insertBefore(node, child); return; }
    }
    chat.log.appendChild(node);
  }

  function nearBottom(log) {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 60;
  }

  function addMessage(chat, m, live) {
    if (!m || typeof m.seq !== "number") return;
    var stick = nearBottom(chat.log);
    var node = chat.seqs.get(m.seq);
    if (node) {
      if (node.dataset.local || (messageFiles(m).length && !$(".msg-file", node))) {
        // Our own message confirmed, or a file whose push came without it.
        delete node.dataset.local;
        renderMessage(chat, node, m, false);
      }
      return;
    }
    var pending = m.client_id ? chat.pending.get(m.client_id) : null;
    if (pending) {
      node = pending.node;
      chat.pending.delete(m.client_id);
      savePending(chat);
      stick = true;
    } else {
      node = el("div");
    }
    renderMessage(chat, node, m, false);
    node.dataset.seq = String(m.seq);
    chat.seqs.set(m.seq, node);
    if (m.seq > chat.maxSeq) chat.maxSeq = m.seq;
    placeBySeq(chat, node, m.seq);
    if (stick) chat.log.scrollTop = chat.log.scrollHeight;
    if (m.sender === "patron") {
      chat.typingLine.textContent = "";
      if (live && (document.hidden || !chat.root.contains(document.activeElement))) {
        chat.unread += 1;
        updateUnread(chat);
      }
    }
  }

  function onMessages(id, list) {
    var chat = chats.get(id);
    if (!chat) return;
    list.forEach(function (m) { addMessage(chat, m, chat.detail !== null); });
  }

  function onMessage(id, m) {
    var chat = chats.get(id);
    if (!chat) return;
    if (m && typeof m.seq === "number" && m.seq > chat.maxSeq + 1 && chat.maxSeq > 0) {
      // A gap: something was missed; ask for it (de-duplicated by seq).
      openChat(chat);
    }
    addMessage(chat, m, true);
  }

  function onAck(frame) {
    var chat = chats.get(frame.conversation);
    if (!chat) return;
    var pending = chat.pending.get(frame.client_id);
    if (!pending) return;
    chat.pending.delete(frame.client_id);
    savePending(chat);
    if (typeof frame.seq !== "number") return;
    if (chat.seqs.has(frame.seq)) {
      // The message frame came first and made its own node.
      pending.node.remove();
      return;
    }
    var node = pending.node;
    var state = $(".msg-state", node);
    if (state) state.remove();
    node.dataset.seq = String(frame.seq);
    node.dataset.local = "1";  // refreshed when the message frame arrives
    chat.seqs.set(frame.seq, node);
    if (frame.seq > chat.maxSeq) chat.maxSeq = frame.seq;
    placeBySeq(chat, node, frame.seq);
  }

  function addPending(chat, clientId, body, note) {
    var node = el("div");
    node.dataset.clientId = clientId;
    renderMessage(chat, node, {
      sender: note ? "note" : "librarian", body: body, author: me.name || null,
      created_at: new Date().toISOString()
    }, true);
    chat.log.appendChild(node);
    chat.log.scrollTop = chat.log.scrollHeight;
    chat.pending.set(clientId, {body: body, note: note, node: node});
    savePending(chat);
    return node;
  }

  function savePending(chat) {
    var list = [];
    chat.pending.forEach(function (p, clientId) {
      if (!p.failed) list.push({client_id: clientId, body: p.body, note: p.note});
    });
    storeSet("pending:" + chat.id, list.length ? list : null);
  }

  function resendPending(chat) {
    chat.pending.forEach(function (p, clientId) {
      if (p.failed) return;
      send({type: "message", conversation: chat.id, body: p.body, client_id: clientId, note: p.note});
    });
  }

  function failPending(chat, clientId, message) {
    var p = chat.pending.get(clientId);
    if (!p) return false;
    p.failed = true;
    savePending(chat);
    p.node.classList.add("msg-failed");
    var state = $(".msg-state", p.node);
    if (state) state.textContent = "Not sent: " + (message || "refused by the server") + " ";
    if (!$(".msg-retry", p.node)) {
      var again = el("button", "msg-retry btn-secondary btn-small", "Edit and send again");
      again.type = "button";
      again.addEventListener("click", function () {
        chat.pending.delete(clientId);
        p.node.remove();
        chat.composer.value = p.body;
        chat.noteToggle.checked = !!p.note;
        noteChanged(chat);
        composerChanged(chat);
        chat.composer.focus();
      });
      p.node.appendChild(again);
    }
    return true;
  }

  function sendMessage(chat, body, note) {
    var clientId = newClientId();
    addPending(chat, clientId, body, note);
    send({type: "message", conversation: chat.id, body: body, client_id: clientId, note: note});
    if (!isOpen()) {
      chat.composeMsg.textContent = OFFLINE_NOTE;
    }
  }

  var OFFLINE_NOTE = "Not connected: your message is sent when the connection is back.";

  /** Cut text into parts of at most `max` characters, at a paragraph or
   * sentence end if one is near, else at a space. */
  function splitIntoParts(text, max) {
    var parts = [];
    var rest = text.trim();
    while (rest.length > max) {
      var windowText = rest.slice(0, max + 1);
      var cut = -1;
      var re = /(?:[.!?…]+["'”’)\]]*|\n)(?=\s)/g;
      var m;
      while ((m = re.exec(windowText)) !== null) {
        var end = m.index + m[0].length;
        if (end <= max && end >= max * 0.4) cut = end;
        if (re.lastIndex === m.index) re.lastIndex++;
      }
      if (cut < 0) {
        for (var i = max; i > max * 0.3; i--) {
          if (/\s/.test(windowText.charAt(i))) { cut = i; break; }
        }
      }
      if (cut <= 0) {
        cut = max;
        var code = rest.charCodeAt(cut - 1);
        if (code >= 0xd800 && code <= 0xdbff) cut -= 1;  // do not cut an emoji in two
      }
      var part = rest.slice(0, cut).trim();
      if (part) parts.push(part);
      rest = rest.slice(cut).trim();
    }
    if (rest) parts.push(rest);
    return parts;
  }

  function composerChanged(chat) {
    var text = chat.composer.value.trim();
    var n = chars(text);
    var box = $(".long-warning", chat.root);
    var msg = $(".long-text", box);
    if (n > MAX_CHARS) {
      box.hidden = false;
      box.classList.add("too-long");
      msg.textContent = "Too long to send: " + n + " characters, " + MAX_CHARS + " at most. Split it into parts (" + splitIntoParts(text, LONG_CHARS).length + " messages).";
    } else if (n > LONG_CHARS) {
      box.hidden = false;
      box.classList.remove("too-long");
      msg.textContent = "Long message (" + n + " characters): patrons read short messages more easily. Splitting sends it as " + splitIntoParts(text, LONG_CHARS).length + " messages.";
    } else {
      box.hidden = true;
      box.classList.remove("too-long");
    }
    storeSet("draft:" + chat.id, chat.composer.value ? chat.composer.value : null);
  }

  function noteChanged(chat) {
    var note = chat.noteToggle.checked;
    chat.root.classList.toggle("note-mode", note);
    $(".composer-label", chat.root).textContent = note
      ? "Internal note (only staff see it)"
      : "Message to the patron";
    chat.sendButton.textContent = note ? "Send note" : "Send";
    if (note) stopTyping(chat);
  }

  function submitComposer(chat) {
    chat.composeMsg.textContent = "";
    var text = chat.composer.value.trim();
    if (!text) return;
    if (chars(text) > MAX_CHARS) {
      chat.composeMsg.textContent = "Not sent: a message is at most " + MAX_CHARS + " characters. Use “Split into parts”.";
      return;
    }
    sendMessage(chat, text, chat.noteToggle.checked);
    chat.composer.value = "";
    chat.lastCanned = "";
    stopTyping(chat);
    resetNote(chat);
    composerChanged(chat);
  }

  // A note is one message: the next one goes to the patron again, so a reply
  // meant for them is never filed silently as a note.
  function resetNote(chat) {
    if (!chat.noteToggle.checked) return;
    chat.noteToggle.checked = false;
    noteChanged(chat);
  }

  // Timer alerts of a chat that ended or left the desk no longer apply.
  function dropAlerts(id) {
    $$(".alert[data-conversation='" + id + "']", alertsBox).forEach(function (node) {
      if (!node.dataset.waiting) node.remove();
    });
  }

  function splitComposer(chat) {
    chat.composeMsg.textContent = "";
    var text = chat.composer.value.trim();
    if (!text) return;
    var parts = splitIntoParts(text, LONG_CHARS);
    var note = chat.noteToggle.checked;
    parts.forEach(function (part) { sendMessage(chat, part, note); });
    chat.composer.value = "";
    chat.lastCanned = "";
    stopTyping(chat);
    resetNote(chat);
    composerChanged(chat);
    chat.composeMsg.textContent = "Sent in " + parts.length + " parts.";
    chat.composer.focus();
  }

  // Typing indicator for the patron (never while writing an internal note).
  function typed(chat) {
    if (chat.noteToggle.checked || chat.status !== "active") return;
    var now = Date.now();
    if (!chat.composer.value.trim()) { stopTyping(chat); return; }
    if (now - chat.typingSent > 4000) {
      if (send({type: "typing", conversation: chat.id, typing: true})) chat.typingSent = now;
    }
    window.clearTimeout(chat.typingStop);
    chat.typingStop = window.setTimeout(function () { stopTyping(chat); }, 5000);
  }
  function stopTyping(chat) {
    window.clearTimeout(chat.typingStop);
    if (chat.typingSent) {
      send({type: "typing", conversation: chat.id, typing: false});
      chat.typingSent = 0;
    }
  }

  function onTyping(id, typing) {
    var chat = chats.get(id);
    if (!chat) return;
    window.clearTimeout(chat.patronTypingTimer);
    chat.typingLine.textContent = typing ? patronNameCap(chat) + " is typing…" : "";
    if (typing) {
      chat.patronTypingTimer = window.setTimeout(function () { chat.typingLine.textContent = ""; }, 10000);
    }
  }
  function patronNameCap(chat) {
    var name = patronName(chat);
    return name === "the patron" ? "The patron" : name;
  }

  // ---------------------------------------------------------------- canned
  function loadCanned(chat) {
    var select = $(".canned", chat.root);
    api("GET", "conversations/" + chat.id + "/canned").then(function (answer) {
      select.textContent = "";
      var first = el("option", null, "Choose…");
      first.value = "";
      select.appendChild(first);
      chat.canned = new Map();
      if (!answer.ok) {
        first.textContent = "Not available";
        return;
      }
      (answer.data.groups || []).forEach(function (group) {
        var optgroup = document.createElement("optgroup");
        optgroup.label = group.label || group.group || "";
        (group.messages || []).forEach(function (m) {
          var key = String(m.id);
          chat.canned.set(key, m.body || "");
          var option = el("option", null, m.title || (m.body || "").slice(0, 60));
          option.value = key;
          optgroup.appendChild(option);
        });
        if (optgroup.children.length) select.appendChild(optgroup);
      });
      if (!chat.canned.size) first.textContent = "None";
    });
  }

  function insertCanned(chat, key) {
    if (!key || !chat.canned || !chat.canned.has(key)) return;
    var body = chat.canned.get(key);
    var value = chat.composer.value;
    var last = chat.lastCanned;
    if (!value.trim() || value === last) {
      value = body;
    } else if (last && value.slice(-last.length) === last) {
      // Browsing the list with the arrow keys replaces the previous pick.
      value = value.slice(0, value.length - last.length) + body;
    } else {
      value = value.replace(/\s*$/, "") + " " + body;
    }
    chat.composer.value = value;
    chat.lastCanned = body;
    composerChanged(chat);
  }

  // ---------------------------------------------------------------- policies & FAQ
  // The side pane suggests the patron library's policy sections and FAQs
  // for the question (SPEC K3) and searches any library's. Staff-only
  // sections are shown to the librarian with a badge and no "Send link":
  // only public addresses ever go into the composer.
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

  function wireKb(chat) {
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

  function kbSuggest(chat) {
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
      kb.status.textContent = hits.length
        ? hits.length + " suggested from " + name + "'s pages:"
        : "Nothing of " + name + "'s pages matches the question yet; search below.";
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
      kb.searchStatus.textContent = hits.length
        ? hits.length + " found for “" + q + "”:"
        : "Nothing found for “" + q + "”.";
    });
  }

  function kbRender(chat, list, hits, showLibrary) {
    list.textContent = "";
    var patronLibrary = kbPatronLibrary(chat).code;
    hits.forEach(function (hit) {
      if (!hit || typeof hit !== "object") return;
      var staffOnly = hit.staff_only !== false;  // unknown counts as staff-only
      var li = el("li", "kb-hit" + (staffOnly ? " kb-staff" : ""));
      var head = el("div", "kb-hit-head");
      var title = el("strong", "kb-title");
      var url = staffOnly ? null : safeHref(hit.url);
      if (url) title.appendChild(link(url, hit.title || url, true));
      else title.textContent = hit.title || "";
      head.appendChild(title);
      if (staffOnly) head.appendChild(el("span", "badge kb-badge-staff", "Staff only"));
      li.appendChild(head);
      var lib = hit.library || {};
      var meta = hit.kind === "faq" ? "FAQ" : "Policy section";
      if (showLibrary || (lib.code && lib.code !== patronLibrary)) meta += " · " + (lib.name || lib.code || "");
      li.appendChild(el("p", "kb-meta muted small", meta));
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
    resetNote(chat);
    var value = chat.composer.value.replace(/\s*$/, "");
    if (value.indexOf(url) === -1) chat.composer.value = value ? value + " " + url : url;
    chat.lastCanned = "";
    composerChanged(chat);
    chat.composer.focus();
    var end = chat.composer.value.length;
    chat.composer.setSelectionRange(end, end);
    typed(chat);
    chat.composeMsg.textContent = "Link added to your message: press Send to share it.";
  }

  // ---------------------------------------------------------------- files
  function uploadFile(chat, file) {
    if (!file) return;
    chat.composeMsg.textContent = "";
    if (file.size > MAX_FILE) {
      chat.composeMsg.textContent = "“" + file.name + "” is too big: " + fileSize(MAX_FILE) + " at most.";
      return;
    }
    if (file.size === 0) {
      chat.composeMsg.textContent = "“" + file.name + "” is empty.";
      return;
    }
    var form = new FormData();
    form.append("file", file);
    form.append("client_id", newClientId());
    chat.composeMsg.textContent = "Sending “" + file.name + "”…";
    var attach = $(".attach", chat.root);
    attach.disabled = true;
    api("POST", "conversations/" + chat.id + "/files", form).then(function (answer) {
      attach.disabled = chat.status !== "active";
      if (answer.ok) {
        chat.composeMsg.textContent = "Sent “" + file.name + "”.";
        if (answer.data.message) addMessage(chat, answer.data.message);
      } else {
        chat.composeMsg.textContent = "Not sent: " + errorText(answer.data);
      }
    });
  }

  function errorText(data) {
    var parts = [];
    if (data && data.error) parts.push(data.error);
    if (data && data.fields) {
      Object.keys(data.fields).forEach(function (k) {
        (data.fields[k] || []).forEach(function (s) { if (parts.indexOf(s) === -1) parts.push(s); });
      });
    }
    return parts.join(" ") || "That did not work.";
  }

  // ---------------------------------------------------------------- forms
  function clearErrors(form) {
    $$(".field-error", form).forEach(function (p) { p.textContent = ""; });
    $$("[aria-invalid]", form).forEach(function (input) { input.removeAttribute("aria-invalid"); });
    var general = $(".form-error", form);
    if (general) general.textContent = "";
  }

  function fieldError(form, name, message) {
    var p = $('.field-error[data-for="' + name + '"]', form);
    var input = form.elements[name];
    if (!p) return false;
    p.textContent = p.textContent ? p.textContent + " " + message : message;
    if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
    return true;
  }

  // Sentences from the server that are about one field, when it gave no
  // "fields": put them next to that field.
  var FIELD_HINTS = [
    [/lost call|resolution/i, "resolution"],
    [/question type/i, "question_type"],
    [/read scale/i, "read_scale"],
    [/deadline|due/i, "followup_due"],
    [/email/i, "followup_email"],
    [/flag|bad patron/i, "bad_patron_reason"],
    [/note/i, "note"],
    [/librarian|queue|transfer to/i, "to_librarian"],
    [/days/i, "days"],
    [/reason|why you block/i, "reason"]
  ];

  function showFormErrors(form, data) {
    clearErrors(form);
    var placed = false;
    var first = null;
    if (data && data.fields) {
      Object.keys(data.fields).forEach(function (name) {
        var messages = data.fields[name] || [];
        var target = name;
        messages.forEach(function (message) {
          if (fieldError(form, target, message)) {
            placed = true;
            first = first || form.elements[target];
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
        for (var i = 0; i < FIELD_HINTS.length && !done; i++) {
          var name = FIELD_HINTS[i][1];
          if (FIELD_HINTS[i][0].test(data.error) && form.elements[name] && isShown(form.elements[name]) && fieldError(form, name, data.error)) {
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
  function clearOnEdit(form) {
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

  function busy(button, on, text) {
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

  // ---------------------------------------------------------------- wiring
  function wirePanel(chat) {
    var root = chat.root;
    wireKb(chat);
    var form = $(".compose-form", root);
    form.addEventListener("submit", function (e) { e.preventDefault(); submitComposer(chat); });
    chat.composer.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.isComposing) {
        e.preventDefault();
        submitComposer(chat);
      }
    });
    chat.composer.addEventListener("input", function () {
      if (chat.lastCanned && chat.composer.value.indexOf(chat.lastCanned) === -1) chat.lastCanned = "";
      composerChanged(chat);
      typed(chat);
    });
    chat.composer.addEventListener("focus", function () { chat.unread = 0; updateUnread(chat); });
    chat.composer.addEventListener("blur", function () { stopTyping(chat); });
    chat.noteToggle.addEventListener("change", function () { noteChanged(chat); });
    $(".split", root).addEventListener("click", function () { splitComposer(chat); });
    var canned = $(".canned", root);
    canned.addEventListener("change", function () { insertCanned(chat, canned.value); });
    var fileInput = $(".file-input", root);
    $(".attach", root).addEventListener("click", function () { fileInput.click(); });
    fileInput.addEventListener("change", function () {
      var file = fileInput.files && fileInput.files[0];
      uploadFile(chat, file);
      fileInput.value = "";
    });

    clearOnEdit(chat.transferForm);
    clearOnEdit(chat.wrapup);

    // Transfer (SPEC L5).
    var transferButton = $(".transfer", root);
    var transferForm = chat.transferForm;
    transferButton.addEventListener("click", function () {
      if (!transferForm.hidden) { hideTransfer(chat); return; }
      transferForm.hidden = false;
      transferButton.setAttribute("aria-expanded", "true");
      clearErrors(transferForm);
      fillTransferTargets(chat);
      transferForm.elements.to_librarian.focus();
      // Who is online changes: refresh the targets.
      api("GET", "conversations/" + chat.id).then(function (answer) {
        if (answer.ok && !chat.closing) {
          chat.detail = answer.data;
          fillTransferTargets(chat);
        }
      });
    });
    $(".transfer-cancel", root).addEventListener("click", function () { hideTransfer(chat); transferButton.focus(); });
    // One target: picking a librarian clears the queue and the other way round.
    var toLibrarian = transferForm.elements.to_librarian;
    var toQueue = transferForm.elements.to_queue;
    toLibrarian.addEventListener("change", function () { if (toLibrarian.value) toQueue.value = ""; });
    toQueue.addEventListener("change", function () { if (toQueue.value) toLibrarian.value = ""; });
    transferForm.addEventListener("submit", function (e) {
      e.preventDefault();
      clearErrors(transferForm);
      var target = toLibrarian.value ? toLibrarian : toQueue.value ? toQueue : null;
      var note = transferForm.elements.note.value.trim();
      var bad = false;
      if (!target) { fieldError(transferForm, "to_librarian", "Choose a librarian or a queue."); bad = true; }
      if (!note) { fieldError(transferForm, "note", "Write a note for the receiver."); bad = true; }
      if (bad) { (target ? transferForm.elements.note : toLibrarian).focus(); return; }
      var body = {note: note};
      var label = target.selectedOptions[0].textContent;
      body[target.name] = Number(target.value);
      var submit = $(".transfer-submit", transferForm);
      busy(submit, true, "Transferring…");
      api("POST", "conversations/" + chat.id + "/transfer", body).then(function (answer) {
        busy(submit, false);
        if (!answer.ok) { showFormErrors(transferForm, answer.data); return; }
        hideTransfer(chat);
        markGone(chat, "Transferred to " + label);
      });
    });

    // End and wrap-up (SPEC L7).
    var endButton = $(".end", root);
    endButton.addEventListener("click", function () {
      busy(endButton, true, "Ending…");
      api("POST", "conversations/" + chat.id + "/end", {}).then(function (answer) {
        busy(endButton, false);
        if (!answer.ok) { chat.composeMsg.textContent = errorText(answer.data); return; }
        applyDetail(chat, answer.data);
        if (chat.status === "active") { chat.status = "ended"; setActive(chat, false); }
        showWrapup(chat, true);
      });
    });
    $(".wrapup-open", root).addEventListener("click", function () { showWrapup(chat, true); });
    var wrapup = chat.wrapup;
    var resolution = wrapup.elements.resolution;
    resolution.addEventListener("change", function () { followupChanged(chat); });
    var bad = wrapup.elements.bad_patron;
    bad.addEventListener("change", function () {
      $(".bad-reason", wrapup).hidden = !bad.checked;
      if (bad.checked) wrapup.elements.bad_patron_reason.focus();
    });
    wrapup.addEventListener("submit", function (e) {
      e.preventDefault();
      submitWrapup(chat);
    });

    // Inappropriate use, crisis, block (SPEC L8).
    var menuMsg = $(".menu-msg", root);
    $$(".inappropriate", root).forEach(function (button) {
      button.addEventListener("click", function () {
        menuMsg.textContent = "";
        busy(button, true, "Sending…");
        api("POST", "conversations/" + chat.id + "/inappropriate", {kind: button.dataset.kind}).then(function (answer) {
          busy(button, false);
          if (!answer.ok) { menuMsg.textContent = errorText(answer.data); return; }
          menuMsg.textContent = "Sent: " + button.textContent + ".";
          $(".cp-menu", root).open = false;
          applyDetail(chat, answer.data);
        });
      });
    });
    var menu = $(".cp-menu", root);
    menu.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && menu.open) {
        menu.open = false;
        $("summary", menu).focus();
      }
    });
    var crisisConfirm = $(".crisis-confirm", root);
    $(".crisis", root).addEventListener("click", function () {
      crisisConfirm.hidden = false;
      $(".crisis-yes", root).focus();
    });
    $(".crisis-no", root).addEventListener("click", function () {
      crisisConfirm.hidden = true;
      $(".crisis", root).focus();
    });
    $(".crisis-yes", root).addEventListener("click", function () {
      var yes = $(".crisis-yes", root);
      menuMsg.textContent = "";
      busy(yes, true, "Sending…");
      api("POST", "conversations/" + chat.id + "/crisis", {}).then(function (answer) {
        busy(yes, false);
        if (!answer.ok) { menuMsg.textContent = errorText(answer.data); return; }
        crisisConfirm.hidden = true;
        menuMsg.textContent = "Crisis resources sent; the chat has ended.";
        applyDetail(chat, answer.data);
        if (chat.status === "active") { chat.status = "ended"; setActive(chat, false); }
        showWrapup(chat, true);
      });
    });
    var blockForm = $(".block-form", root);
    var blockOpen = $(".block-open", root);
    blockOpen.addEventListener("click", function () {
      blockForm.hidden = !blockForm.hidden;
      blockOpen.setAttribute("aria-expanded", blockForm.hidden ? "false" : "true");
      if (!blockForm.hidden) blockForm.elements.reason.focus();
    });
    $(".block-cancel", root).addEventListener("click", function () {
      blockForm.hidden = true;
      blockOpen.setAttribute("aria-expanded", "false");
      blockOpen.focus();
    });
    blockForm.addEventListener("submit", function (e) {
      e.preventDefault();
      menuMsg.textContent = "";
      var days = Number(blockForm.elements.days.value);
      var reason = blockForm.elements.reason.value.trim();
      if (!(days >= 1 && days <= 365)) { menuMsg.textContent = "Block for 1 to 365 days."; blockForm.elements.days.focus(); return; }
      if (!reason) { menuMsg.textContent = "Say why you block this patron."; blockForm.elements.reason.focus(); return; }
      var submit = $(".block-submit", blockForm);
      busy(submit, true, "Blocking…");
      api("POST", "conversations/" + chat.id + "/block", {days: Math.floor(days), reason: reason}).then(function (answer) {
        busy(submit, false);
        if (!answer.ok) { menuMsg.textContent = errorText(answer.data); return; }
        blockForm.hidden = true;
        blockOpen.setAttribute("aria-expanded", "false");
        blockForm.elements.reason.value = "";
        menuMsg.textContent = "Patron blocked for " + Math.floor(days) + " day" + (days >= 2 ? "s" : "") + "; the help desk has been told.";
        applyDetail(chat, answer.data);
      });
    });
  }

  function fillTransferTargets(chat) {
    var form = chat.transferForm;
    // The socket's details leave the targets out: they come over HTTP when
    // the form opens.
    var targets = chat.detail && chat.detail.transfer_targets;
    var loading = !targets;
    targets = targets || {};
    // Option text is the librarian's name alone (tests pick by label).
    var people = (targets.librarians || []).map(function (p) { return [p.id, p.name]; });
    var queues = (targets.queues || []).map(function (q) { return [q.id, q.name + " (" + q.code + ")"]; });
    [[form.elements.to_librarian, people, "No other librarian is online"],
     [form.elements.to_queue, queues, "No queue is online"]].forEach(function (item) {
      var select = item[0], keep = select.value;
      fillSelect(select, item[1], item[1].length ? "Choose…" : loading ? "Loading…" : item[2]);
      if (keep) select.value = keep;
      if (select.selectedIndex < 0) select.value = "";
    });
  }

  function hideTransfer(chat) {
    chat.transferForm.hidden = true;
    $(".transfer", chat.root).setAttribute("aria-expanded", "false");
  }

  function followupChanged(chat) {
    var wrapup = chat.wrapup;
    var on = FOLLOWUP_CODES.indexOf(wrapup.elements.resolution.value) !== -1;
    $(".followup-fields", wrapup).hidden = !on;
    if (on && !wrapup.elements.followup_email.value) {
      var email = chat.detail && chat.detail.patron && chat.detail.patron.email;
      if (email) wrapup.elements.followup_email.value = email;
    }
  }

  function showWrapup(chat, focus) {
    var wrapup = chat.wrapup;
    var wasHidden = wrapup.hidden;
    wrapup.hidden = false;
    followupChanged(chat);
    if (wasHidden) chat.wrapupShown = true;
    if (focus) {
      wrapup.scrollIntoView({block: "nearest"});
      wrapup.elements.resolution.focus({preventScroll: true});
    }
  }

  function submitWrapup(chat) {
    var f = chat.wrapup;
    clearErrors(f);
    var resolution = f.elements.resolution.value;
    var body = {
      resolution: resolution,
      question_type: f.elements.question_type.value,
      read_scale: f.elements.read_scale.value ? Number(f.elements.read_scale.value) : null,
      bad_patron: f.elements.bad_patron.checked,
      bad_patron_reason: f.elements.bad_patron.checked ? f.elements.bad_patron_reason.value.trim() : ""
    };
    var problems = false;
    if (!body.question_type) { fieldError(f, "question_type", "Choose a question type."); problems = true; }
    if (body.bad_patron && !body.bad_patron_reason) { fieldError(f, "bad_patron_reason", "Say why you flag this patron."); problems = true; }
    if (FOLLOWUP_CODES.indexOf(resolution) !== -1) {
      body.followup_email = f.elements.followup_email.value.trim();
      body.followup_due = f.elements.followup_due.value;
      if (!body.followup_email) { fieldError(f, "followup_email", "A follow-up needs the patron's email address."); problems = true; }
      if (!body.followup_due) { fieldError(f, "followup_due", "A follow-up needs a deadline."); problems = true; }
    }
    if (problems) {
      var invalid = $("[aria-invalid=true]", f);
      if (invalid) invalid.focus();
      return;
    }
    var submit = $(".wrapup-submit", f);
    busy(submit, true, "Saving…");
    api("POST", "conversations/" + chat.id + "/wrapup", body).then(function (answer) {
      busy(submit, false);
      if (!answer.ok) { showFormErrors(f, answer.data); return; }
      chat.wrappedUp = true;
      closeChat(chat, "Chat with " + patronName(chat) + " wrapped up.");
    });
  }

  // ---------------------------------------------------------------- lifecycle
  function markGone(chat, text) {
    if (chat.gone) return;
    chat.gone = text;
    setActive(chat, false);
    $(".wrapup-open", chat.root).disabled = true;
    chat.wrapup.hidden = true;
    chat.transferForm.hidden = true;
    var banner = $(".gone-banner", chat.root);
    banner.textContent = text + ". This panel closes in a moment.";
    banner.hidden = false;
    chat.root.classList.add("is-gone");
    renderStatus(chat);
    announce("Chat with " + patronName(chat) + ": " + text + ".");
    window.setTimeout(function () { closeChat(chat, null); }, 4000);
  }

  function closeChat(chat, message) {
    if (chat.closing) return;
    chat.closing = true;
    var hadFocus = chat.root.contains(document.activeElement);
    stopTyping(chat);
    dropAlerts(chat.id);
    chat.root.remove();
    chat.tab.remove();
    chats.delete(chat.id);
    storeSet("draft:" + chat.id, null);
    storeSet("pending:" + chat.id, null);
    updateChatCount();
    waitingMsg.textContent = "";
    if (message) announce(message);
    if (hadFocus) {
      var next = chats.values().next().value;
      if (next && !next.composer.disabled) next.composer.focus();
      else $("#waiting-heading").focus();
    }
  }

  function onAccepted(detail) {
    if (!detail || typeof detail.id !== "number") return;
    var chat = createChat(detail.id, null, detail);
    var row = waitingRows.get(detail.id);
    if (row) { row.li.remove(); waitingRows.delete(detail.id); updateWaitingCount(); }
    announce("You have the chat with " + patronName(chat) + ".");
    focusChat(chat);
  }

  function onConversation(detail) {
    if (!detail || typeof detail.id !== "number") return;
    var chat = chats.get(detail.id);
    if (!chat) {
      if (detail.mine && (detail.status === "active" || (detail.status === "ended" && !detail.wrapped_up))) {
        chat = createChat(detail.id, null, null);
      } else {
        return;
      }
    }
    var wasActive = chat.status === "active";
    applyDetail(chat, detail);
    if (wasActive && chat.status !== "active" && chats.has(detail.id) && !chat.gone) {
      announce("The chat with " + patronName(chat) + " has ended; please wrap it up.");
    }
  }

  function showMine(list) {
    var ids = new Set();
    list.forEach(function (c) {
      if (typeof c.id !== "number") return;
      ids.add(c.id);
      var chat = chats.get(c.id);
      var isNew = !chat;
      if (isNew) chat = createChat(c.id, c, null);
      else chat.summary = c;
      if (chat.closing || chat.gone) return;
      if (!chat.detail) chat.status = c.status || chat.status;
      renderTitle(chat);
      if (isNew) {
        loadDetail(chat);
      } else if (typeof c.last_seq === "number" && c.last_seq > chat.maxSeq) {
        openChat(chat);
      }
      if (c.status && c.status !== chat.status && chat.detail) {
        // Changed since the detail we hold: re-read it.
        loadDetail(chat);
      }
      if (c.status === "ended" && !c.wrapped_up) {
        chat.status = "ended";
        setActive(chat, false);
        showWrapup(chat, false);
      }
    });
    chats.forEach(function (chat) {
      if (!ids.has(chat.id) && !chat.closing && !chat.gone && chat.detail) {
        // No longer among your chats: wrapped up elsewhere or transferred.
        loadDetail(chat);
      }
    });
  }

  // ---------------------------------------------------------------- alerts
  var URGENT = ["missed_risk", "waiting_long", "transfer", "backup"];
  var SOUND = ["missed_risk", "transfer", "backup"];

  /** A ticket changed somewhere: re-read the counts beside "Email tickets"
   *  (once for a burst of changes). */
  var ticketsTimer = null;
  function ticketsChanged() {
    if (ticketsTimer) return;
    ticketsTimer = window.setTimeout(function () {
      ticketsTimer = null;
      api("GET", "tickets/summary").then(function (result) {
          var counts = result.data, summary = $("#tickets-summary");
          if (!result.ok || !summary) return;  // the counts stay as they were
          summary.textContent = "(" + counts.unclaimed + " unclaimed, " + counts.mine + " claimed by you";
          if (counts.overdue) {
            summary.appendChild(document.createTextNode(", "));
            summary.appendChild(el("strong", "", counts.overdue + " overdue"));
          }
          summary.appendChild(document.createTextNode(")"));
        });
    }, 1000);
  }

  function onAlert(frame) {
    var item = el("div", "alert alert-" + String(frame.kind || "info").replace(/[^a-z_]/g, ""));
    if (URGENT.indexOf(frame.kind) !== -1) item.classList.add("alert-urgent");
    var id = typeof frame.conversation === "number" ? frame.conversation : null;
    if (id !== null) item.dataset.conversation = String(id);
    if (["missed_risk", "waiting_long", "transfer"].indexOf(frame.kind) !== -1) item.dataset.waiting = "1";
    item.appendChild(el("span", "alert-time", timeText(new Date().toISOString())));
    item.appendChild(el("p", "alert-text", frame.message || ""));
    var tools = el("div", "alert-tools");
    if (frame.suggestion && id !== null) {
      var suggest = el("button", "alert-suggest btn-small", "Send: " + frame.suggestion);
      suggest.type = "button";
      suggest.addEventListener("click", function () {
        var chat = chats.get(id);
        if (!chat) { suggest.disabled = true; suggest.textContent = "That chat is closed"; return; }
        chat.composer.value = frame.suggestion;
        chat.noteToggle.checked = false;
        noteChanged(chat);
        composerChanged(chat);
        focusChat(chat);
        item.remove();
      });
      tools.appendChild(suggest);
    } else if (id !== null && chats.has(id)) {
      var go = el("button", "alert-go btn-secondary btn-small", "Go to the chat");
      go.type = "button";
      go.addEventListener("click", function () { var c = chats.get(id); if (c) focusChat(c); });
      tools.appendChild(go);
    } else if (id !== null && (waitingRows.has(id) || ["transfer", "missed_risk", "waiting_long"].indexOf(frame.kind) !== -1)) {
      var show = el("button", "alert-go btn-secondary btn-small", "Show in the waiting list");
      show.type = "button";
      show.addEventListener("click", function () {
        var row = waitingRows.get(id);
        var accept = row && $(".accept", row.li);
        if (accept) {
          row.li.scrollIntoView({block: "nearest"});
          accept.focus();
        } else {
          show.disabled = true;
          show.textContent = "No longer waiting";
        }
      });
      tools.appendChild(show);
    }
    var dismiss = el("button", "alert-dismiss btn-secondary btn-small", "Dismiss");
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", "Dismiss alert: " + (frame.message || "").slice(0, 80));
    dismiss.addEventListener("click", function () {
      var next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      var target = next && $("button", next);
      if (target) {
        target.focus();
      } else {
        var heading = $("#chats-heading");
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    });
    tools.appendChild(dismiss);
    item.appendChild(tools);
    alertsBox.insertBefore(item, alertsBox.firstChild);
    while (alertsBox.children.length > 8) alertsBox.lastChild.remove();
    if (SOUND.indexOf(frame.kind) !== -1) beep(true);
  }

  function localAlert(message) {
    onAlert({kind: "info", conversation: null, message: message, suggestion: null});
  }

  // ---------------------------------------------------------------- on duty
  function showOnDuty(list) {
    onDutyList.textContent = "";
    list.forEach(function (p) {
      var li = el("li");
      var name = el("strong", null, p.name || "");
      li.appendChild(name);
      if (me.id && p.id === me.id) li.appendChild(el("span", "muted", " (you)"));
      li.appendChild(el("span", null, " — " + (p.library || "")));
      var details = el("div", "muted small");
      var n = typeof p.chats === "number" ? p.chats : 0;
      details.textContent = (p.queues || []).join(", ") + " · " + n + " chat" + (n === 1 ? "" : "s");
      li.appendChild(details);
      onDutyList.appendChild(li);
    });
    onDutyEmpty.hidden = list.length > 0;
  }

  var backupForm = $("#backup-form");
  if (backupForm) {
    backupForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = $("#call-backup");
      var status = $("#backup-status");
      status.textContent = "";
      busy(button, true, "Calling…");
      api("POST", "backup", {message: $("#backup-message").value.trim()}).then(function (answer) {
        busy(button, false);
        if (answer.ok) {
          status.textContent = (answer.data && answer.data.message) || "Backup called: the help desk and the listserv have been alerted.";
          $("#backup-message").value = "";
        } else {
          status.textContent = errorText(answer.data);
        }
      });
    });
  }

  // ---------------------------------------------------------------- errors
  function onError(frame) {
    var id = typeof frame.conversation === "number" ? frame.conversation : null;
    var message = frame.message || "Something went wrong.";
    if (frame.code === "taken" && id !== null) {
      markTaken(id, message);
      return;
    }
    var chat = id !== null ? chats.get(id) : null;
    if (frame.client_id) {
      var owner = chat;
      if (!owner) chats.forEach(function (c) { if (c.pending.has(frame.client_id)) owner = c; });
      if (owner && failPending(owner, frame.client_id, message)) return;
    }
    if (frame.code === "limit") {
      waitingMsg.textContent = message;
      resetAccept(id);
      return;
    }
    if (id !== null && waitingRows.has(id) && !chat) {
      var row = waitingRows.get(id);
      $(".w-note", row.li).textContent = message;
      resetAccept(id);
      return;
    }
    if (chat) {
      chat.composeMsg.textContent = message;
      if (frame.code === "ended") { chat.status = "ended"; setActive(chat, false); showWrapup(chat, false); }
      if (frame.code === "not_yours") loadDetail(chat);
      return;
    }
    lastError = {message: message, at: Date.now()};
    monitorButtons.forEach(function (b) { b.removeAttribute("aria-busy"); });
    if (REFUSAL_CODES.indexOf(frame.code) !== -1 || !frame.code) {
      // Most likely a refusal before the close (4401/4403): the close
      // handler shows it on the status line.
      return;
    }
    localAlert(message);
  }

  var REFUSAL_CODES = ["forbidden", "unauthenticated", "not_signed_in", "not_allowed", "signed_out"];
  var lastError = null;

  function resetAccept(id) {
    var row = id !== null ? waitingRows.get(id) : null;
    var button = row && $(".accept", row.li);
    if (button) { button.disabled = false; button.textContent = "Accept"; }
    if (id === null) $$("button.accept[disabled]", waitingList).forEach(function (b) { b.disabled = false; b.textContent = "Accept"; });
  }

  // ---------------------------------------------------------------- start
  updateChatCount();
  updateWaitingCount();
  connect();

  // For tests and debugging.
  window.askTogetherDesk = {splitIntoParts: splitIntoParts, chats: chats, handle: handle};
})();
