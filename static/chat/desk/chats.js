/* The desk's shared state: the open chats (conversation id -> chat, see
 * panel.js) and the rows of the waiting list (id -> {li, chat, since}). */
export var chats = new Map();
export var waitingRows = new Map();
