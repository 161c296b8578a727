/* AskTogether patron chat: pre-chat form, live chat, reconnect, transcript.
 *
 * Plain JavaScript, no build step, no libraries. It talks to the server as
 * described in docs/chat-protocol.md. Rules kept throughout:
 *   - every text from the server or the patron is rendered with textContent;
 *   - messages are kept in a Map by seq (de-duplicated) and shown in seq order;
 *   - the database is the source of truth: on every (re)connect the page sends
 *     {"type": "resume", "after": <highest seq held>} and re-sends, with the
 *     same client_id, whatever the server has not acknowledged yet.
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------- config
  var configEl = document.getElementById("asktogether-config");
  var config = {};
  try { config = JSON.parse(configEl ? configEl.textContent : "{}") || {}; } catch (e) { config = {}; }
  var CODE = String(config.code || "");
  var MAX_CHARS = Number(config.max_message_chars) || 4000;
  var MAX_FILE = Number(config.max_file_bytes) || 10485760;
  var lang = config.lang === "es" ? "es" : "en";
  var KEY = "asktogether:" + CODE;          // the patron token
  var SEQ_KEY = KEY + ":seq";               // the highest seq seen (informative)
  var PENDING_KEY = KEY + ":pending";       // messages not acknowledged yet

  // ------------------------------------------------------------ dictionary
  var STRINGS = {
    en: {
      title: "Chat with a librarian",
      otherLang: "Español",
      intro: "Ask a librarian anything: finding sources, using the library, your account.",
      questionLabel: "Your question",
      questionHint: "Type your question here. You can add details once the chat starts.",
      aboutYou: "About you",
      privacy: "Optional. We use your name and email only to answer you; you can chat without them.",
      nameLabel: "Name (optional)",
      emailLabel: "Email (optional)",
      statusLabel: "Which best describes you?",
      statusChoose: "Choose one (optional)",
      residentLegend: "Do you live in {area}?",
      residentPostcodes: "Do you live in one of these ZIP codes: {codes}?",
      yes: "Yes",
      no: "No",
      startChat: "Start chat",
      starting: "Connecting you…",
      errQuestionRequired: "Please type your question.",
      errQuestionTooLong: "Your question is {n} characters long; the limit is {max}. Shorten it, then add details in the chat.",
      errEmailRequired: "Please give an email address so that we can answer you.",
      errEmailInvalid: "Enter an email address like name@example.com.",
      errNetwork: "We could not reach the chat service. Check your connection and try again.",
      errGeneric: "Something went wrong. Please try again.",
      errFormProblems: "Please correct the marked fields.",
      offlineTitle: "No librarian is online right now",
      offlineHours: "See our hours",
      offlineNext: "Chat opens again {when}.",
      offlineIntro: "Leave your question and a librarian will answer you by email.",
      offlineEmailLabel: "Email (required)",
      offlineEmailHint: "We use it only to answer your question.",
      offlineSubmit: "Send my question",
      offlineRetry: "Try live chat again",
      offlineSending: "Sending…",
      offlineSent: "Thank you. We will answer by email at {email}.",
      askAnother: "Ask another question",
      statusConnecting: "Connecting…",
      statusWaitingPos: "You are number {n} in line · waiting {time}",
      statusWaiting: "Waiting for a librarian · waiting {time}",
      statusActive: "You are chatting with {name}",
      aLibrarian: "a librarian",
      statusEnded: "This chat has ended",
      announceWaitingPos: "You are number {n} in line.",
      announceWaiting: "Waiting for a librarian.",
      typing: "{name} is typing…",
      theLibrarian: "The librarian",
      reconnecting: "Reconnecting…",
      reconnected: "Connected again.",
      logLabel: "Conversation",
      composerLabel: "Your message",
      composerPlaceholder: "Type your message",
      composerHelp: "Enter sends; Shift+Enter starts a new line.",
      fileHint: "Images, PDF, text or Office files up to 10 MB.",
      send: "Send",
      attach: "Attach a file",
      endChat: "End chat",
      confirmEnd: "End this chat? You can still view and save the transcript.",
      sending: "sending…",
      notSent: "Not sent: {reason}",
      uploading: "Uploading {name}…",
      you: "You",
      youSaid: "You:",
      librarianSaid: "{name}:",
      counter: "{n} / {max}",
      counterLeft: "{n} characters left",
      counterLeftOne: "1 character left",
      tooLong: "Too long by {n} characters: a message can have at most {max}.",
      tooLongOne: "Too long by 1 character: a message can have at most {max}.",
      splitSend: "Send as {n} messages",
      fileTooBig: "{name} is larger than {max}. Choose a smaller file.",
      fileEmpty: "{name} is empty.",
      endedTitle: "This chat has ended",
      endedMissed: "No librarian was able to pick up your chat.",
      leaveByEmail: "Leave your question by email",
      transcriptIntro: "Keep a copy of this conversation:",
      viewTranscript: "View transcript",
      print: "Print",
      download: "Download (text)",
      emailTranscriptLabel: "Email the transcript to",
      emailTranscriptSend: "Send",
      transcriptSending: "Sending…",
      transcriptSent: "We sent the transcript to {email}.",
      newChat: "Start a new chat",
      chatGone: "This chat does not exist or has expired.",
      attachment: "Attachment",
      bytes: "{n} bytes",
      statuses: {
        middle_school: "Middle school student",
        high_school: "High school student",
        undergraduate: "Undergraduate student",
        graduate: "Graduate student",
        faculty_staff: "Faculty or staff",
        public: "Public / other"
      }
    },
    es: {
      title: "Chat con la biblioteca",
      otherLang: "English",
      intro: "Pregunte lo que necesite a un bibliotecario: buscar fuentes, usar la biblioteca, su cuenta.",
      questionLabel: "Su pregunta",
      questionHint: "Escriba aquí su pregunta. Podrá añadir detalles cuando empiece el chat.",
      aboutYou: "Sobre usted",
      privacy: "Opcional. Usamos su nombre y correo solo para responderle; puede chatear sin darlos.",
      nameLabel: "Nombre (opcional)",
      emailLabel: "Correo electrónico (opcional)",
      statusLabel: "¿Qué le describe mejor?",
      statusChoose: "Elija una opción (opcional)",
      residentLegend: "¿Vive en {area}?",
      residentPostcodes: "¿Vive en uno de estos códigos postales: {codes}?",
      yes: "Sí",
      no: "No",
      startChat: "Iniciar chat",
      starting: "Conectando…",
      errQuestionRequired: "Escriba su pregunta.",
      errQuestionTooLong: "Su pregunta tiene {n} caracteres; el límite es {max}. Acórtela y añada los detalles en el chat.",
      errEmailRequired: "Indique un correo electrónico para que podamos responderle.",
      errEmailInvalid: "Escriba un correo electrónico como nombre@ejemplo.com.",
      errNetwork: "No pudimos conectar con el servicio de chat. Revise su conexión e inténtelo de nuevo.",
      errGeneric: "Algo salió mal. Inténtelo de nuevo.",
      errFormProblems: "Corrija los campos marcados.",
      offlineTitle: "No hay ningún bibliotecario conectado en este momento",
      offlineHours: "Consulte nuestro horario",
      offlineNext: "El chat vuelve a abrir {when}.",
      offlineIntro: "Deje su pregunta y un bibliotecario le responderá por correo electrónico.",
      offlineEmailLabel: "Correo electrónico (obligatorio)",
      offlineEmailHint: "Lo usamos solo para responder a su pregunta.",
      offlineSubmit: "Enviar mi pregunta",
      offlineRetry: "Volver a intentar el chat",
      offlineSending: "Enviando…",
      offlineSent: "Gracias. Le responderemos por correo electrónico a {email}.",
      askAnother: "Hacer otra pregunta",
      statusConnecting: "Conectando…",
      statusWaitingPos: "Usted es el número {n} en la fila · esperando {time}",
      statusWaiting: "Esperando a un bibliotecario · esperando {time}",
      statusActive: "Está chateando con {name}",
      aLibrarian: "un bibliotecario",
      statusEnded: "Este chat ha terminado",
      announceWaitingPos: "Usted es el número {n} en la fila.",
      announceWaiting: "Esperando a un bibliotecario.",
      typing: "{name} está escribiendo…",
      theLibrarian: "El bibliotecario",
      reconnecting: "Reconectando…",
      reconnected: "Conectado de nuevo.",
      logLabel: "Conversación",
      composerLabel: "Su mensaje",
      composerPlaceholder: "Escriba su mensaje",
      composerHelp: "Intro envía; Mayús+Intro empieza una nueva línea.",
      fileHint: "Imágenes, PDF, texto o archivos de Office de hasta 10 MB.",
      send: "Enviar",
      attach: "Adjuntar un archivo",
      endChat: "Terminar chat",
      confirmEnd: "¿Terminar este chat? Podrá seguir viendo y guardando la transcripción.",
      sending: "enviando…",
      notSent: "No enviado: {reason}",
      uploading: "Subiendo {name}…",
      you: "Usted",
      youSaid: "Usted:",
      librarianSaid: "{name}:",
      counter: "{n} / {max}",
      counterLeft: "Quedan {n} caracteres",
      counterLeftOne: "Queda 1 carácter",
      tooLong: "Sobran {n} caracteres: un mensaje puede tener como máximo {max}.",
      tooLongOne: "Sobra 1 carácter: un mensaje puede tener como máximo {max}.",
      splitSend: "Enviar en {n} mensajes",
      fileTooBig: "{name} pesa más de {max}. Elija un archivo más pequeño.",
      fileEmpty: "{name} está vacío.",
      endedTitle: "Este chat ha terminado",
      endedMissed: "Ningún bibliotecario pudo atender su chat.",
      leaveByEmail: "Deje su pregunta por correo electrónico",
      transcriptIntro: "Guarde una copia de esta conversación:",
      viewTranscript: "Ver la transcripción",
      print: "Imprimir",
      download: "Descargar (texto)",
      emailTranscriptLabel: "Enviar la transcripción a",
      emailTranscriptSend: "Enviar",
      transcriptSending: "Enviando…",
      transcriptSent: "Enviamos la transcripción a {email}.",
      newChat: "Iniciar un chat nuevo",
      chatGone: "Este chat no existe o ha caducado.",
      attachment: "Archivo adjunto",
      bytes: "{n} bytes",
      statuses: {
        middle_school: "Estudiante de escuela intermedia",
        high_school: "Estudiante de escuela secundaria (high school)",
        undergraduate: "Estudiante universitario (grado)",
        graduate: "Estudiante de posgrado",
        faculty_staff: "Docente o personal",
        public: "Público / otro"
      }
    }
  };

  function t(key, vars) {
    var s = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (m, name) {
        return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m;
      });
    }
    return s;
  }

  // --------------------------------------------------------------- helpers
  function $(id) { return document.getElementById(id); }
  function show(el, on) { if (el) el.hidden = !on; }
  function charCount(s) { return Array.from(s).length; }  // code points, like the server
  function randomId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  /* Where the token, the last seq and unsent messages are kept.
   * localStorage normally. In the widget's frame on a library's site the
   * browser may refuse storage to a third-party frame (private windows,
   * blocked third-party cookies): then the values live in memory and are
   * handed to the embed script on the library's page (postMessage to the
   * parent's origin only), which keeps them in its sessionStorage and gives
   * them back in the frame's URL fragment when the page is reloaded. */
  var storageOK = (function () {
    try {
      var k = "asktogether:probe";
      window.localStorage.setItem(k, "1");
      window.localStorage.removeItem(k);
      return true;
    } catch (e) { return false; }
  })();
  function parentOrigin() {
    if (window.parent === window) return null;
    try {
      if (location.ancestorOrigins && location.ancestorOrigins.length) return location.ancestorOrigins[0];
    } catch (e) { /* not supported */ }
    try { return new URL(config.referrer || document.referrer).origin; } catch (e) { return null; }
  }
  var relayTo = !storageOK && config.embed ? parentOrigin() : null;
  var store = {
    memory: {},
    get: function (k) {
      if (storageOK) { try { return window.localStorage.getItem(k); } catch (e) { /* fall through */ } }
      return Object.prototype.hasOwnProperty.call(this.memory, k) ? this.memory[k] : null;
    },
    set: function (k, v) {
      if (storageOK) { try { window.localStorage.setItem(k, v); return; } catch (e) { /* full: memory */ } }
      this.memory[k] = v;
      this.relay(k, v);
    },
    del: function (k) {
      if (storageOK) { try { window.localStorage.removeItem(k); } catch (e) { /* ignore */ } }
      if (Object.prototype.hasOwnProperty.call(this.memory, k)) { delete this.memory[k]; }
      this.relay(k, null);
    },
    relay: function (k, v) {
      if (!relayTo || relayTo === "null") return;
      try { window.parent.postMessage({ type: "asktogether:store", key: k, value: v }, relayTo); } catch (e) { /* ignore */ }
    }
  };
  (function seedFromFragment() {
    var hash = location.hash || "";
    if (hash.indexOf("#at=") !== 0) return;
    try { history.replaceState(null, "", location.pathname + location.search); } catch (e) { /* ignore */ }
    if (storageOK) return;
    try {
      var data = JSON.parse(decodeURIComponent(hash.slice(4)));
      Object.keys(data || {}).forEach(function (k) {
        if ((k === KEY || k.indexOf(KEY + ":") === 0) && typeof data[k] === "string") store.memory[k] = data[k];
      });
    } catch (e) { /* ignore a damaged fragment */ }
  })();
  function formatSize(n) {
    n = Number(n) || 0;
    var nf = function (x, d) { return x.toLocaleString(lang, { maximumFractionDigits: d }); };
    if (n < 1024) return t("bytes", { n: nf(n, 0) });
    if (n < 1024 * 1024) return nf(n / 1024, n < 10240 ? 1 : 0) + " KB";
    return nf(n / 1048576, 1) + " MB";
  }
  function formatTime(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return "";
    try { return new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit" }).format(d); }
    catch (e) { return d.toLocaleTimeString(); }
  }
  function formatWhen(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return "";
    try {
      return new Intl.DateTimeFormat(lang, {
        weekday: "long", month: "long", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short",
        timeZone: config.time_zone || undefined  // the library's hours are in its own zone
      }).format(d);
    } catch (e) { return d.toLocaleString(); }
  }
  function formatDuration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var pad = function (x) { return (x < 10 ? "0" : "") + x; };
    return h ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
  }
  function looksLikeEmail(s) { return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s); }

  /* JSON over fetch. Resolves {status, data} for every HTTP answer (data is
   * {} when the body is not JSON); rejects only on network failure. */
  function request(method, url, body, isForm) {
    var opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      if (isForm) opts.body = body;
      else { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    }
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (text) {
        var data = {};
        try { data = text ? JSON.parse(text) : {}; } catch (e) { data = {}; }
        return { status: r.status, data: data || {} };
      });
    });
  }

  // ----------------------------------------------------------------- alert
  var alertEl = $("alert");
  var announcer = $("announcer");
  function showAlert(text) {
    alertEl.textContent = "";
    if (!text) { alertEl.classList.remove("has-alert"); return; }
    // A fresh text node so that screen readers announce a repeated message.
    var p = document.createElement("p");
    p.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "alert-close";
    close.setAttribute("aria-label", lang === "es" ? "Cerrar aviso" : "Dismiss");
    close.title = close.getAttribute("aria-label");  // the × is drawn by CSS
    close.addEventListener("click", function () { showAlert(""); });
    alertEl.appendChild(p);
    alertEl.appendChild(close);
    alertEl.classList.add("has-alert");
  }
  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // ------------------------------------------------------------- i18n / UI
  function applyLanguage() {
    document.documentElement.lang = lang;
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-placeholder]"), function (el) {
      el.setAttribute("placeholder", t(el.getAttribute("data-i18n-placeholder")));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-aria-label]"), function (el) {
      el.setAttribute("aria-label", t(el.getAttribute("data-i18n-aria-label")));
    });
    var toggle = $("lang-toggle");
    toggle.textContent = t("otherLang");
    toggle.setAttribute("lang", lang === "es" ? "en" : "es");
    document.title = t("title") + " · " + (config.name || "");
    fillStatuses();
    var area = String(config.service_area || "").trim();
    show($("resident-field"), !!area);
    $("resident-legend").textContent = areaQuestion(area);
    $("attach").setAttribute("title", t("attach"));
    if (currentState) renderStatus(false);
    updateCounter();
    var offlineNext = $("offline-next");
    if (offlineNext.dataset.when) offlineNext.textContent = t("offlineNext", { when: formatWhen(offlineNext.dataset.when) });
  }
  /* The service area is a state code ("FL"), postcodes ("32601, 32603") or
   * a name ("Florida"): ask the question in words a patron recognises. */
  var US_STATES = {
    AL: "Alabama", AK: "Alaska", AZ: "Arizona", AR: "Arkansas", CA: "California", CO: "Colorado",
    CT: "Connecticut", DE: "Delaware", DC: "the District of Columbia", FL: "Florida", GA: "Georgia",
    HI: "Hawaii", ID: "Idaho", IL: "Illinois", IN: "Indiana", IA: "Iowa", KS: "Kansas", KY: "Kentucky",
    LA: "Louisiana", ME: "Maine", MD: "Maryland", MA: "Massachusetts", MI: "Michigan", MN: "Minnesota",
    MS: "Mississippi", MO: "Missouri", MT: "Montana", NE: "Nebraska", NV: "Nevada", NH: "New Hampshire",
    NJ: "New Jersey", NM: "New Mexico", NY: "New York", NC: "North Carolina", ND: "North Dakota",
    OH: "Ohio", OK: "Oklahoma", OR: "Oregon", PA: "Pennsylvania", PR: "Puerto Rico", RI: "Rhode Island",
    SC: "South Carolina", SD: "South Dakota", TN: "Tennessee", TX: "Texas", UT: "Utah", VT: "Vermont",
    VA: "Virginia", WA: "Washington", WV: "West Virginia", WI: "Wisconsin", WY: "Wyoming"
  };
  var US_STATES_ES = { DC: "el Distrito de Columbia", HI: "Hawái", LA: "Luisiana", NC: "Carolina del Norte",
    ND: "Dakota del Norte", NJ: "Nueva Jersey", NM: "Nuevo México", NY: "Nueva York", PA: "Pensilvania",
    SC: "Carolina del Sur", SD: "Dakota del Sur", VA: "Virginia", WV: "Virginia Occidental" };
  function areaQuestion(area) {
    var code = area.toUpperCase();
    if (/^[A-Z]{2}$/.test(code) && US_STATES[code]) {
      var name = lang === "es" ? (US_STATES_ES[code] || US_STATES[code]) : US_STATES[code];
      return t("residentLegend", { area: name });
    }
    if (/^[0-9][0-9\s,;-]*$/.test(area)) {
      return t("residentPostcodes", { codes: area.split(/[\s,;]+/).filter(Boolean).join(", ") });
    }
    return t("residentLegend", { area: area });
  }
  function fillStatuses() {
    var select = $("patron-status");
    var current = select.value;
    select.textContent = "";
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = t("statusChoose");
    select.appendChild(blank);
    (config.statuses || []).forEach(function (pair) {
      var o = document.createElement("option");
      o.value = pair[0];
      o.textContent = (STRINGS[lang].statuses || {})[pair[0]] || pair[1];
      select.appendChild(o);
    });
    select.value = current;
  }
  $("lang-toggle").addEventListener("click", function () {
    lang = lang === "es" ? "en" : "es";
    applyLanguage();
  });

  var views = { form: $("view-form"), offline: $("view-offline"), chat: $("view-chat") };
  function showView(name) {
    Object.keys(views).forEach(function (k) { show(views[k], k === name); });
    document.body.setAttribute("data-view", name);
  }

  // -------------------------------------------------------- field errors
  function setFieldError(inputId, messages) {
    var input = $(inputId);
    var err = $(inputId + "-error");
    if (!input || !err) return false;
    var text = (messages || []).join(" ");
    err.textContent = text;
    show(err, !!text);
    var target = input.tagName === "FIELDSET" ? input.querySelector("input") : input;
    var group = input.tagName === "FIELDSET" ? input.querySelectorAll("input") : [input];
    Array.prototype.forEach.call(group, function (el) {
      var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== err.id; });
      if (text) { ids.push(err.id); el.setAttribute("aria-invalid", "true"); }
      else el.removeAttribute("aria-invalid");
      if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
      else el.removeAttribute("aria-describedby");
    });
    return text ? target : false;
  }
  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (err) {
      setFieldError(err.id.replace(/-error$/, ""), []);
    });
  }
  /* Show {"fields": {...}} next to the inputs; field names of the protocol
   * map to element ids (with a prefix for the offline form). Returns true
   * when at least one field got a message. */
  function showFieldErrors(fields, prefix) {
    var map = { question: "question", name: "name", email: "email", patron_status: "patron-status" };
    var first = null, leftovers = [];
    Object.keys(fields || {}).forEach(function (name) {
      var msgs = fields[name];
      if (!Array.isArray(msgs)) msgs = [String(msgs)];
      var el = false;
      if (name === "resident" && !prefix && !$("resident-field").hidden) {
        el = setResidentError(msgs);
      } else if (map[name] && $(prefix + map[name]) && $(prefix + map[name] + "-error")) {
        el = setFieldError(prefix + map[name], msgs);
      }
      if (el) { first = first || el; } else { leftovers.push(msgs.join(" ")); }
    });
    if (first) first.focus();
    return { any: !!first, leftovers: leftovers };
  }
  function setResidentError(msgs) {
    var err = $("resident-error");
    var text = (msgs || []).join(" ");
    err.textContent = text;
    show(err, !!text);
    Array.prototype.forEach.call(document.querySelectorAll("input[name=resident]"), function (el) {
      if (text) { el.setAttribute("aria-describedby", "resident-error"); el.setAttribute("aria-invalid", "true"); }
      else { el.removeAttribute("aria-describedby"); el.removeAttribute("aria-invalid"); }
    });
    return text ? $("resident-yes") : false;
  }

  // ------------------------------------------------------- pre-chat form
  var form = $("prechat-form");
  var lastForm = null;   // what the patron typed, for the offline form

  function residentValue() {
    if (!String(config.service_area || "").trim()) return true;
    var checked = document.querySelector("input[name=resident]:checked");
    // Not answered: the server derives it (the field is optional).
    return checked ? checked.value === "yes" : null;
  }
  function collectForm() {
    var data = {
      question: $("question").value.trim(),
      name: $("name").value.trim(),
      email: $("email").value.trim(),
      referrer_url: $("referrer").value || "",
      lang: lang
    };
    var status = $("patron-status").value;
    if (status) data.patron_status = status;
    var resident = residentValue();
    if (resident !== null) data.resident = resident;
    return data;
  }
  function validateQuestion(inputId, value) {
    if (!value) return setFieldError(inputId, [t("errQuestionRequired")]);
    var n = charCount(value);
    if (n > MAX_CHARS) return setFieldError(inputId, [t("errQuestionTooLong", { n: n, max: MAX_CHARS })]);
    return false;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    showAlert("");
    clearErrors(form);
    setResidentError([]);
    var data = collectForm();
    lastForm = data;
    var bad = validateQuestion("question", data.question);
    if (data.email && !looksLikeEmail(data.email)) bad = setFieldError("email", [t("errEmailInvalid")]) && (bad || $("email"));
    if (bad) { bad.focus(); return; }
    var button = $("start-chat");
    button.disabled = true;
    button.textContent = t("starting");
    request("POST", "/chat/" + encodeURIComponent(CODE) + "/start", data)
      .then(function (res) {
        var d = res.data;
        if (res.status === 201 && d.token) {
          beginChat(d.token, d.ws_url, d.state);
        } else if (res.status === 409 && d.offline) {
          showOffline(d, data);
        } else if (res.status === 400) {
          var shown = showFieldErrors(d.fields, "");
          var general = [];
          if (!shown.any || shown.leftovers.length) general.push(d.error || t("errFormProblems"));
          shown.leftovers.forEach(function (s) { if (general.indexOf(s) === -1) general.push(s); });
          showAlert(general.join(" "));
        } else {
          showAlert(d.error || t("errGeneric"));
        }
      })
      .catch(function () { showAlert(t("errNetwork")); })
      .then(function () { button.disabled = false; button.textContent = t("startChat"); });
  });

  // -------------------------------------------------------- offline form
  function showOffline(d, data) {
    data = data || {};
    showView("offline");
    show($("offline-form"), true);
    show($("offline-done"), false);
    var link = $("offline-hours-link");
    if (d && d.hours_url) link.href = d.hours_url;
    else if (config.hours_url) link.href = config.hours_url;
    var msg = $("offline-server-message");
    // The server's sentence, unless it only repeats the heading (or is in
    // English under a Spanish page).
    var said = d && d.error && lang === "en" && d.error.indexOf(STRINGS.en.offlineTitle) !== 0 ? d.error : "";
    msg.textContent = said;
    show(msg, !!said);
    var next = $("offline-next");
    if (d && d.next_opening) {
      next.dataset.when = d.next_opening;
      next.textContent = t("offlineNext", { when: formatWhen(d.next_opening) });
      show(next, true);
    } else {
      delete next.dataset.when;
      show(next, false);
    }
    clearErrors($("offline-form"));
    if (data.question !== undefined) $("offline-question").value = data.question || "";
    if (data.name !== undefined) $("offline-name").value = data.name || "";
    if (data.email !== undefined) $("offline-email").value = data.email || "";
    $("offline-title").focus();
  }
  $("offline-form").addEventListener("submit", function (e) {
    e.preventDefault();
    showAlert("");
    clearErrors(this);
    var base = lastForm || collectForm();
    var data = {
      question: $("offline-question").value.trim(),
      name: $("offline-name").value.trim(),
      email: $("offline-email").value.trim(),
      referrer_url: base.referrer_url || $("referrer").value || "",
      lang: lang
    };
    if (base.patron_status) data.patron_status = base.patron_status;
    if (base.resident !== undefined && base.resident !== null) data.resident = base.resident;
    var bad = validateQuestion("offline-question", data.question);
    if (!data.email) bad = setFieldError("offline-email", [t("errEmailRequired")]) && (bad || $("offline-email"));
    else if (!looksLikeEmail(data.email)) bad = setFieldError("offline-email", [t("errEmailInvalid")]) && (bad || $("offline-email"));
    if (bad) { bad.focus(); return; }
    var button = $("offline-submit");
    button.disabled = true;
    button.textContent = t("offlineSending");
    request("POST", "/chat/" + encodeURIComponent(CODE) + "/offline", data)
      .then(function (res) {
        var d = res.data;
        if (res.status === 201 || res.status === 200) {
          show($("offline-form"), false);
          // The server's sentences are in English; Spanish speakers get ours.
          $("offline-done-message").textContent = (lang === "en" && d.message) || t("offlineSent", { email: data.email });
          show($("offline-done"), true);
          $("question").value = "";
        } else if (res.status === 400) {
          var shown = showFieldErrors(d.fields, "offline-");
          if (!shown.any || shown.leftovers.length) showAlert([d.error || t("errFormProblems")].concat(shown.leftovers).join(" "));
        } else {
          showAlert(d.error || t("errGeneric"));
        }
      })
      .catch(function () { showAlert(t("errNetwork")); })
      .then(function () { button.disabled = false; button.textContent = t("offlineSubmit"); });
  });
  $("offline-back").addEventListener("click", function () {
    $("question").value = $("offline-question").value;
    $("name").value = $("offline-name").value;
    $("email").value = $("offline-email").value;
    showAlert("");
    showView("form");
    $("question").focus();
  });
  $("offline-again").addEventListener("click", function () {
    $("offline-question").value = "";
    showView("form");
    $("question").focus();
  });

  // =========================================================== the chat
  var token = null;
  var wsPath = null;
  var socket = null;
  var socketSerial = 0;
  var retryDelay = 1000;
  var retryTimer = null;
  var heartbeatTimer = null;
  var flushed = false;          // pending messages re-sent on this socket
  var wasDisconnected = false;
  var stopped = true;           // no reconnect (ended, forgotten, refused)
  var currentState = null;
  var lastStatusKey = "";
  var waitTimer = null;
  var statePoll = null;
  var transcriptPolls = 0;

  var log = $("chat-log");
  var bySeq = new Map();        // seq -> {message, el}
  var pending = [];             // [{client_id, body, el, failed}] in send order
  var firstQuestion = "";

  function maxSeq() {
    var m = 0;
    bySeq.forEach(function (v, k) { if (v.message && k > m) m = k; });
    return m;
  }
  function savePending() {
    var keep = pending.filter(function (p) { return !p.failed && !p.file; })
      .map(function (p) { return { client_id: p.client_id, body: p.body }; });
    if (keep.length) store.set(PENDING_KEY, JSON.stringify(keep));
    else store.del(PENDING_KEY);
  }
  function loadPending() {
    var raw = store.get(PENDING_KEY);
    if (!raw) return [];
    try {
      var list = JSON.parse(raw);
      return Array.isArray(list) ? list.filter(function (p) { return p && typeof p.client_id === "string" && typeof p.body === "string"; }) : [];
    } catch (e) { return []; }
  }
  function forgetChat() {
    store.del(KEY);
    store.del(SEQ_KEY);
    store.del(PENDING_KEY);
  }

  function resetChatUI() {
    stopSocket();
    bySeq = new Map();
    pending = [];
    log.textContent = "";
    currentState = null;
    lastStatusKey = "";
    firstQuestion = "";
    $("typing").textContent = "";
    $("chat-status").textContent = "";
    show($("connection"), false);
    show($("chat-ended"), false);
    show($("composer-form"), true);
    show($("end-chat"), true);
    $("composer").value = "";
    $("transcript-email-result").textContent = "";
    updateCounter();
    clearInterval(waitTimer);
    clearTimeout(statePoll);
    transcriptPolls = 0;
  }

  function beginChat(newToken, newWsPath, state) {
    resetChatUI();
    token = newToken;
    wsPath = newWsPath || "/ws/chat/" + token + "/";
    store.set(KEY, token);
    store.set(SEQ_KEY, "0");
    showView("chat");
    if (state) applyState(state);
    else $("chat-status").textContent = t("statusConnecting");
    if (!currentState || !isOver(currentState.status)) connect();
    $("composer").focus();
  }

  /* A reload (or a second tab): the stored token is still a chat. */
  function resumeStored(storedToken, state) {
    resetChatUI();
    token = storedToken;
    wsPath = "/ws/chat/" + token + "/";
    loadPending().forEach(function (p) { addPending(p.client_id, p.body); });
    showView("chat");
    $("chat-status").textContent = t("statusConnecting");
    if (state && state.status) applyState(state);
    if (currentState && isOver(currentState.status)) refreshFromServer();  // no socket needed
    else connect();
  }

  /* Messages and state over HTTP: used once a chat is over, when the socket
   * is not needed any more. */
  function refreshFromServer() {
    if (!token) return;
    var t0 = token;
    request("GET", "/chat/c/" + encodeURIComponent(token) + "/messages?after=" + maxSeq()).then(function (res) {
      if (token !== t0) return;
      if (res.status === 200 && res.data) {
        (res.data.messages || []).forEach(addMessage);
        if (res.data.state) applyState(res.data.state);
      } else if (res.status === 404) {
        chatGone();
      }
    }).catch(function () { /* nothing to do */ });
  }

  // ------------------------------------------------------------ socket
  function connect() {
    if (!token) return;
    stopped = false;
    clearTimeout(retryTimer);
    var serial = ++socketSerial;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try { ws = new WebSocket(scheme + location.host + wsPath); }
    catch (e) { scheduleReconnect(); return; }
    socket = ws;
    flushed = false;
    ws.onopen = function () {
      if (serial !== socketSerial) return;
      retryDelay = 1000;
      sendFrame({ type: "resume", after: maxSeq() });
      clearInterval(heartbeatTimer);
      heartbeatTimer = setInterval(function () { sendFrame({ type: "heartbeat" }); }, 20000);
      if (wasDisconnected) {
        show($("connection"), false);
        announce(t("reconnected"));
        wasDisconnected = false;
      }
    };
    ws.onmessage = function (e) {
      if (serial !== socketSerial) return;
      var frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      if (frame && typeof frame === "object") handleFrame(frame);
    };
    ws.onclose = function (e) {
      if (serial !== socketSerial) return;
      clearInterval(heartbeatTimer);
      socket = null;
      setTyping(false);
      if (e.code === 4404) { chatGone(); return; }
      if (e.code === 4403) { stopped = true; return; }  // the error frame said why
      if (stopped) return;
      scheduleReconnect();
    };
    ws.onerror = function () { /* onclose follows */ };
  }
  function scheduleReconnect() {
    if (stopped) return;
    wasDisconnected = true;
    var conn = $("connection");
    conn.textContent = t("reconnecting");
    show(conn, true);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  }
  function stopSocket() {
    stopped = true;
    clearTimeout(retryTimer);
    clearInterval(heartbeatTimer);
    socketSerial++;
    if (socket) { try { socket.close(1000); } catch (e) { /* ignore */ } }
    socket = null;
  }
  function sendFrame(frame) {
    if (!socket || socket.readyState !== 1) return false;
    try { socket.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
  }
  // Come back at once when the network or the tab does.
  window.addEventListener("online", function () {
    if (token && !stopped && !socket) { retryDelay = 1000; connect(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && token && !stopped && !socket) { retryDelay = 1000; connect(); }
  });

  function handleFrame(f) {
    switch (f.type) {
      case "messages":
        (f.messages || []).forEach(addMessage);
        if (!flushed) { flushed = true; flushPending(); }
        break;
      case "message":
        if (f.message) addMessage(f.message);
        break;
      case "ack":
        ackPending(f.client_id, f.seq);
        break;
      case "state":
        if (f.state) applyState(f.state);
        break;
      case "typing":
        setTyping(!!f.typing);
        break;
      case "heartbeat_ack":
        break;
      case "error":
        handleError(f);
        break;
    }
  }
  function handleError(f) {
    if (f.code === "invalid" && f.client_id) {
      failPending(f.client_id, f.message || t("errGeneric"));
      showAlert(f.message || t("errGeneric"));
      return;
    }
    if (f.code === "ended") {
      if (f.client_id) failPending(f.client_id, f.message || t("statusEnded"));
      fetchState();
      if (currentState) { currentState.status = currentState.status === "waiting" ? "missed" : "ended"; applyState(currentState); }
      return;
    }
    if (f.code === "not_found") { chatGone(); return; }
    if (f.message) showAlert(f.message);
  }
  function chatGone() {
    stopSocket();
    forgetChat();
    token = null;
    resetChatUI();
    showView("form");
    showAlert(t("chatGone"));
  }
  function fetchState() { refreshFromServer(); }

  // ---------------------------------------------------------- messages
  function buildMessageEl(el, m) {
    var sender = m.sender === "librarian" || m.sender === "system" ? m.sender : "patron";
    el.className = "msg msg-" + sender;
    el.setAttribute("data-seq", String(m.seq));
    el.textContent = "";
    if (sender !== "system") {
      var meta = document.createElement("p");
      meta.className = "msg-meta";
      var who = document.createElement("span");
      who.className = "msg-author";
      if (sender === "librarian") {
        who.textContent = m.author || t("theLibrarian");
      } else {
        who.textContent = t("you");
        who.classList.add("visually-hidden");
      }
      meta.appendChild(who);
      var time = document.createElement("time");
      time.className = "msg-time";
      if (m.created_at) { time.dateTime = m.created_at; time.textContent = formatTime(m.created_at); }
      meta.appendChild(time);
      el.appendChild(meta);
    }
    if (m.body) {
      var body = document.createElement("p");
      body.className = "msg-body";
      body.textContent = m.body;
      el.appendChild(body);
    }
    messageFiles(m).forEach(function (att) {
      if (!att.url) return;
      var a = document.createElement("a");
      a.className = "msg-file";
      a.href = att.url;
      a.setAttribute("download", att.name || "");
      a.appendChild(clipIcon());
      var name = document.createElement("span");
      name.className = "msg-file-name";
      name.textContent = att.name || t("attachment");
      var size = document.createElement("span");
      size.className = "msg-file-size";
      size.textContent = " (" + formatSize(att.size) + ")";
      a.appendChild(name);
      a.appendChild(size);
      el.appendChild(a);
    });
    if (sender === "system" && m.created_at) {
      el.title = formatTime(m.created_at);
    }
    return el;
  }
  // A message's files: `attachments` (several for an email), or the single
  // `attachment` of servers that sent only that.
  function messageFiles(m) {
    if (Array.isArray(m.attachments)) return m.attachments;
    return m.attachment ? [m.attachment] : [];
  }
  function clipIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "msg-file-icon");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "2");
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("d", "M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l9.2-9.2a3.7 3.7 0 0 1 5.2 5.2l-9.2 9.2a1.8 1.8 0 0 1-2.6-2.6l8.5-8.5");
    svg.appendChild(path);
    return svg;
  }
  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
  function scrollDown(force) { if (force || nearBottom()) { log.scrollTop = log.scrollHeight; stuck = true; } }
  // A log read at its end stays at its end when it gets shorter (an alert,
  // the phone's keyboard, the ended panel).
  var stuck = true;
  log.addEventListener("scroll", function () { stuck = nearBottom(); });
  if (window.ResizeObserver) {
    new ResizeObserver(function () { if (stuck) log.scrollTop = log.scrollHeight; }).observe(log);
  }

  /* Insert an element at its place in seq order: before the first message with
   * a higher seq, else before the first unacknowledged one, else at the end. */
  function placeBySeq(el, seq) {
    var children = log.children, before = null;
    for (var i = 0; i < children.length; i++) {
      var c = children[i];
      var s = c.getAttribute("data-seq");
      if (s === null) { before = c; break; }         // pending ones come last
      if (Number(s) > seq) { before = c; break; }
    }
    if (el.parentNode === log && el.nextSibling === before) return;
    log.insertBefore(el, before);
  }

  function addMessage(m) {
    if (!m || typeof m.seq !== "number" || m.sender === "note") return;
    var stick = nearBottom();
    var known = bySeq.get(m.seq);
    // De-duplicated by seq. (One exception: a copy that has the attachment
    // replaces one pushed before the attachment was stored.)
    if (known && known.message && !(messageFiles(m).length && !messageFiles(known.message).length)) return;
    if (m.seq === 1 && m.sender === "patron") firstQuestion = m.body || "";
    var el = known ? known.el : null;
    if (!el && m.client_id) {
      var p = findPending(m.client_id);
      if (p) { el = p.el; removePending(p); }
    }
    if (!el) el = document.createElement("div");
    buildMessageEl(el, m);
    bySeq.set(m.seq, { message: m, el: el });
    placeBySeq(el, m.seq);
    if (m.sender === "librarian") setTyping(false);
    var highest = maxSeq();
    if (Number(store.get(SEQ_KEY) || 0) < highest && token) store.set(SEQ_KEY, String(highest));
    scrollDown(stick || m.sender === "patron");
  }

  // ----------------------------------------------------- pending (own) messages
  function findPending(clientId) {
    for (var i = 0; i < pending.length; i++) if (pending[i].client_id === clientId) return pending[i];
    return null;
  }
  function removePending(p) {
    var i = pending.indexOf(p);
    if (i !== -1) pending.splice(i, 1);
    savePending();
  }
  function addPending(clientId, body, file) {
    var el = document.createElement("div");
    el.className = "msg msg-patron msg-pending";
    el.setAttribute("data-client-id", clientId);
    var meta = document.createElement("p");
    meta.className = "msg-meta";
    var who = document.createElement("span");
    who.className = "msg-author visually-hidden";
    who.textContent = t("you");
    var state = document.createElement("span");
    state.className = "msg-sending";
    state.textContent = file ? t("uploading", { name: file.name }) : t("sending");
    meta.appendChild(who);
    meta.appendChild(state);
    el.appendChild(meta);
    if (body) {
      var b = document.createElement("p");
      b.className = "msg-body";
      b.textContent = body;
      el.appendChild(b);
    }
    log.appendChild(el);
    var p = { client_id: clientId, body: body, el: el, failed: false, file: !!file };
    pending.push(p);
    savePending();
    scrollDown(true);
    return p;
  }
  function ackPending(clientId, seq) {
    var p = findPending(clientId);
    if (!p || typeof seq !== "number") return;
    removePending(p);
    var known = bySeq.get(seq);
    if (known && known.message) {             // the message frame came first
      if (p.el !== known.el && p.el.parentNode) p.el.parentNode.removeChild(p.el);
      return;
    }
    // Stored: it is no longer "sending…"; the message frame fills in the rest.
    p.el.classList.remove("msg-pending");
    p.el.setAttribute("data-seq", String(seq));
    var sending = p.el.querySelector(".msg-sending");
    if (sending) sending.parentNode.removeChild(sending);
    bySeq.set(seq, { message: null, el: p.el });
    placeBySeq(p.el, seq);
  }
  function failPending(clientId, reason) {
    var p = findPending(clientId);
    if (!p) return;
    p.failed = true;
    p.el.classList.remove("msg-pending");
    p.el.classList.add("msg-failed");
    var s = p.el.querySelector(".msg-sending");
    if (s) s.textContent = t("notSent", { reason: reason });
    removePending(p);
  }
  function flushPending() {
    pending.forEach(function (p) {
      if (!p.failed && !p.file) sendFrame({ type: "message", body: p.body, client_id: p.client_id });
    });
  }

  // ------------------------------------------------------------- state
  function isOver(status) { return status === "ended" || status === "missed"; }
  function applyState(s) {
    if (!s || typeof s !== "object") return;
    currentState = s;
    renderStatus(true);
    if (isOver(s.status)) showEnded(s);
  }
  function librarianName() {
    return (currentState && currentState.librarian) || "";
  }
  function statusText() {
    var s = currentState;
    if (!s) return t("statusConnecting");
    if (s.status === "waiting") {
      var since = Date.parse(s.waiting_since || s.requested_at || "");
      var time = formatDuration(isNaN(since) ? 0 : Date.now() - since);
      return typeof s.position === "number" && s.position > 0
        ? t("statusWaitingPos", { n: s.position, time: time })
        : t("statusWaiting", { time: time });
    }
    if (s.status === "active") return t("statusActive", { name: librarianName() || t("aLibrarian") });
    return t("statusEnded");
  }
  function renderStatus(mayAnnounce) {
    var s = currentState;
    $("chat-status").textContent = statusText();
    clearInterval(waitTimer);
    if (s && s.status === "waiting") {
      waitTimer = setInterval(function () { $("chat-status").textContent = statusText(); }, 1000);
    }
    // Tell screen readers about real changes, not about the ticking timer.
    var key = s ? [s.status, s.position, s.librarian, lang].join("|") : "";
    if (mayAnnounce && key !== lastStatusKey && s) {
      if (s.status === "waiting") {
        announce(typeof s.position === "number" && s.position > 0 ? t("announceWaitingPos", { n: s.position }) : t("announceWaiting"));
      } else if (s.status === "active") {
        announce(t("statusActive", { name: librarianName() || t("aLibrarian") }));
      }
    }
    if (s) lastStatusKey = key;
  }

  var typingClear = null;
  function setTyping(on) {
    var el = $("typing");
    clearTimeout(typingClear);
    if (on && currentState && !isOver(currentState.status)) {
      el.textContent = t("typing", { name: librarianName() || t("theLibrarian") });
      typingClear = setTimeout(function () { el.textContent = ""; }, 8000);  // in case "false" is lost
    } else {
      el.textContent = "";
    }
  }

  // ------------------------------------------------------------- composer
  var composer = $("composer");
  var typingOn = false, typingSentAt = 0, typingIdle = null;

  function tooLongBy(text) { return charCount(text.trim()) - MAX_CHARS; }
  function tooLongText(n) { return n === 1 ? t("tooLongOne", { max: MAX_CHARS }) : t("tooLong", { n: n, max: MAX_CHARS }); }
  function updateCounter() {
    var text = composer.value;
    var n = charCount(text.trim());
    var counter = $("composer-count");
    var split = $("split-send");
    var over = n - MAX_CHARS;
    counter.classList.toggle("is-over", over > 0);
    counter.classList.toggle("is-near", over <= 0 && n > MAX_CHARS - 400);
    if (over > 0) {
      counter.textContent = tooLongText(over);
      split.textContent = t("splitSend", { n: splitMessage(text.trim()).length });
      show(split, true);
      composer.setAttribute("aria-invalid", "true");
    } else {
      counter.textContent = n > MAX_CHARS - 400 ? (MAX_CHARS - n === 1 ? t("counterLeftOne") : t("counterLeft", { n: MAX_CHARS - n })) : "";
      show(split, false);
      composer.removeAttribute("aria-invalid");
    }
  }
  /* Cut a long text into messages of at most MAX_CHARS code points, at a
   * paragraph, line, sentence or word break when there is one. */
  function splitMessage(text) {
    var chars = Array.from(text), parts = [];
    while (chars.length > MAX_CHARS) {
      var window_ = chars.slice(0, MAX_CHARS).join("");
      var cut = -1;
      [/\n\s*\n(?![\s\S]*\n\s*\n)/, /\n(?![\s\S]*\n)/, /[.!?¡¿]\s(?![\s\S]*[.!?]\s)/, /\s(?![\s\S]*\s)/].some(function (re) {
        var m = re.exec(window_);
        if (m && m.index > MAX_CHARS / 2) { cut = Array.from(window_.slice(0, m.index + m[0].length)).length; return true; }
        return false;
      });
      if (cut <= 0) cut = MAX_CHARS;
      var part = chars.slice(0, cut).join("").trim();
      if (part) parts.push(part);
      chars = chars.slice(cut);
    }
    var rest = chars.join("").trim();
    if (rest) parts.push(rest);
    return parts;
  }

  function chatOpen() { return token && currentState && !isOver(currentState.status); }
  function sendText(text) {
    var p = addPending("p-" + randomId(), text);
    // Not connected, or not resumed yet: it stays in localStorage and goes
    // out with the same client_id once the socket has resumed.
    if (flushed) sendFrame({ type: "message", body: p.body, client_id: p.client_id });
  }
  function submitComposer() {
    var text = composer.value.trim();
    if (!text || !token) return;
    if (currentState && isOver(currentState.status)) return;
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
  $("composer-form").addEventListener("submit", function (e) { e.preventDefault(); submitComposer(); });
  $("split-send").addEventListener("click", function () {
    var text = composer.value.trim();
    if (!text || !chatOpen()) return;
    stopTyping();
    splitMessage(text).forEach(sendText);
    composer.value = "";
    updateCounter();
    composer.focus();
  });
  composer.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submitComposer();
    }
  });
  var lengthAlert = "";
  composer.addEventListener("input", function () {
    updateCounter();
    // The "too long" alert goes once the text fits again.
    if (lengthAlert && alertEl.textContent.indexOf(lengthAlert) === 0 && tooLongBy(composer.value) <= 0) {
      showAlert("");
      lengthAlert = "";
    }
    if (!chatOpen()) return;
    if (!composer.value.trim()) { stopTyping(); return; }
    var now = Date.now();
    if (!typingOn || now - typingSentAt >= 3000) {
      if (sendFrame({ type: "typing", typing: true })) { typingOn = true; typingSentAt = now; }
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 4000);
  });
  function stopTyping() {
    clearTimeout(typingIdle);
    if (typingOn) { sendFrame({ type: "typing", typing: false }); typingOn = false; }
  }

  // ---------------------------------------------------------------- files
  $("attach").addEventListener("click", function () { $("file-input").click(); });
  $("file-input").addEventListener("change", function () {
    var input = this;
    var file = input.files && input.files[0];
    input.value = "";
    if (!file || !token) return;
    showAlert("");
    if (file.size > MAX_FILE) { showAlert(t("fileTooBig", { name: file.name, max: formatSize(MAX_FILE) })); return; }
    if (file.size === 0) { showAlert(t("fileEmpty", { name: file.name })); return; }
    var clientId = "p-" + randomId();
    var p = addPending(clientId, "", file);
    var body = new FormData();
    body.append("file", file, file.name);
    body.append("client_id", clientId);
    request("POST", "/chat/c/" + encodeURIComponent(token) + "/files", body, true)
      .then(function (res) {
        if ((res.status === 201 || res.status === 200) && res.data.message) {
          addMessage(res.data.message);
          if (findPending(clientId)) removePending(p);
          if (p.el.parentNode && !p.el.hasAttribute("data-seq")) p.el.parentNode.removeChild(p.el);
        } else {
          removePending(p);
          if (p.el.parentNode) p.el.parentNode.removeChild(p.el);
          var reason = res.data.error || (res.status === 413 ? t("fileTooBig", { name: file.name, max: formatSize(MAX_FILE) }) : t("errGeneric"));
          showAlert(reason);
          if (res.status === 409) fetchState();
          if (res.status === 404) chatGone();
        }
      })
      .catch(function () {
        removePending(p);
        if (p.el.parentNode) p.el.parentNode.removeChild(p.el);
        showAlert(t("errNetwork"));
      });
  });

  // ----------------------------------------------------------- end chat
  $("end-chat").addEventListener("click", function () {
    if (!token || (currentState && isOver(currentState.status))) return;
    if (!window.confirm(t("confirmEnd"))) return;
    stopTyping();
    if (!sendFrame({ type: "end" })) {
      request("POST", "/chat/c/" + encodeURIComponent(token) + "/end", {}).then(function (res) {
        if (res.status === 200 && res.data.state) applyState(res.data.state);
        else if (res.data.error) showAlert(res.data.error);
      }).catch(function () { showAlert(t("errNetwork")); });
    }
  });

  // ------------------------------------------------------ ended: transcript
  function showEnded(s) {
    var first = $("chat-ended").hidden;
    setTyping(false);
    stopTyping();
    clearInterval(waitTimer);
    show($("composer-form"), false);
    show($("end-chat"), false);
    show($("chat-ended"), true);
    show($("ended-missed"), s.status === "missed");
    var url = s.transcript_url;
    if (url) {
      $("transcript-link").href = url;
      $("transcript-download").href = url + (url.indexOf("?") === -1 ? "?" : "&") + "format=txt";
      show($("transcript-actions"), true);
      var email = $("email").value.trim();
      if (email && !$("transcript-email").value) $("transcript-email").value = email;
    } else {
      show($("transcript-actions"), false);
      // The link appears once the chat has ended: ask again shortly.
      clearTimeout(statePoll);
      if (transcriptPolls < 5) { transcriptPolls++; statePoll = setTimeout(refreshFromServer, 1500 * transcriptPolls); }
    }
    // Unacknowledged messages cannot be sent any more.
    pending.slice().forEach(function (p) { if (!p.file) failPending(p.client_id, t("statusEnded")); });
    store.del(PENDING_KEY);
    if (first) {
      // No reconnecting any more; the socket stays a moment for the last
      // events (the "ended" system message), then a final read over HTTP.
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(heartbeatTimer);
      var serial = socketSerial;
      setTimeout(function () {
        if (serial === socketSerial) { stopSocket(); refreshFromServer(); }
      }, 4000);
      $("ended-title").focus();
    }
  }
  $("transcript-print").addEventListener("click", function () {
    var url = $("transcript-link").href;
    var w = window.open(url, "_blank");
    if (!w) { window.location.href = url; return; }
    var printed = false;
    var doPrint = function () { if (!printed) { printed = true; try { w.focus(); w.print(); } catch (e) { /* ignore */ } } };
    try { w.addEventListener("load", doPrint); } catch (e) { setTimeout(doPrint, 1500); }
  });
  $("transcript-email-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = $("transcript-email");
    var result = $("transcript-email-result");
    var email = input.value.trim();
    result.classList.remove("is-error");
    if (!looksLikeEmail(email)) {
      result.textContent = email ? t("errEmailInvalid") : t("errEmailRequired");
      result.classList.add("is-error");
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    var url = $("transcript-link").getAttribute("href");
    var button = $("transcript-email-send");
    button.disabled = true;
    result.textContent = t("transcriptSending");
    request("POST", url.split("?")[0].replace(/\/?$/, "/") + "email", { email: email })
      .then(function (res) {
        if (res.status >= 200 && res.status < 300) {
          result.textContent = (lang === "en" && res.data.message) || t("transcriptSent", { email: email });
        } else {
          var msg = res.data.fields && res.data.fields.email ? [].concat(res.data.fields.email).join(" ") : (res.data.error || t("errGeneric"));
          result.textContent = msg;
          result.classList.add("is-error");
          input.setAttribute("aria-invalid", "true");
        }
      })
      .catch(function () { result.textContent = t("errNetwork"); result.classList.add("is-error"); })
      .then(function () { button.disabled = false; });
  });
  $("new-chat").addEventListener("click", function () {
    forgetChat();
    token = null;
    resetChatUI();
    showAlert("");
    $("question").value = "";
    showView("form");
    $("question").focus();
  });
  $("missed-offline").addEventListener("click", function () {
    var q = firstQuestion;
    forgetChat();
    token = null;
    resetChatUI();
    showAlert("");
    var prev = lastForm || {};
    showOffline({ hours_url: config.hours_url }, {
      question: q || prev.question || "", name: prev.name || $("name").value, email: prev.email || $("email").value
    });
  });

  // ---------------------------------------------------------------- start
  $("referrer").value = String(config.referrer || document.referrer || "").slice(0, 2000);
  applyLanguage();
  var stored = store.get(KEY);
  if (stored && /^[A-Za-z0-9_-]{16,200}$/.test(stored)) {
    showView("chat");
    $("chat-status").textContent = t("statusConnecting");
    request("GET", "/chat/c/" + encodeURIComponent(stored) + "/state").then(function (res) {
      if (res.status === 404 || res.status === 410) {
        forgetChat();
        showView("form");
        return;
      }
      resumeStored(stored, res.status === 200 ? res.data : null);
    }).catch(function () {
      resumeStored(stored, null);   // offline for now: the socket retries
    });
  } else {
    if (stored) forgetChat();
    showView("form");
  }
})();
