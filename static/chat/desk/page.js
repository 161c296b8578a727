/* The desk page's fixed elements (templates/chat/desk.html). Module scripts
 * run after the document is parsed, so they are all there at import. */
function $(sel) { return document.querySelector(sel); }
function $$(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }

export var statusLine = $("#connection");
// Its own line: a reconnect rewrites the connection line, and a librarian back
// from a break must still read why they are no longer monitoring.
export var awayNotice = $("#away-notice");
export var waitingList = $("#waiting");
export var waitingEmpty = $("#waiting-empty");
export var waitingCount = $("#waiting-count");
export var waitingMsg = $("#waiting-msg");
export var alertsBox = $("#alerts");
export var onDutyList = $("#on-duty");
export var onDutyEmpty = $("#on-duty-empty");
export var panelsBox = $("#chat-panels");
export var tabsBox = $("#chat-tabs");
export var noChats = $("#no-chats");
export var chatCount = $("#chat-count");
export var panelTemplate = $("#chat-panel-template");
export var muteButton = $("#mute");
export var monitorButtons = $$("button.monitor");
export var baseTitle = document.title;
