/* The desk's fixed numbers and codes (no DOM: unit-tested modules import it). */

export const LONG_CHARS = 600;
export const RISK_SECONDS = 60;
export const HIGHLIGHT_SECONDS = 180;
export const HEARTBEAT_MS = 20000;
// A librarian who has not touched the desk for this long, with no chat
// open, stops monitoring (SPEC L11: idle librarians go away automatically).
export const IDLE_AWAY_MS = 30 * 60 * 1000;
export const STALE_MS = 55000;
export const REFUSED = [4401, 4403];
export const STORE = "asktogether:desk:";
export const FOLLOWUP_CODES = ["followup_library", "followup_me"];
export const OFFLINE_NOTE = "Not connected: your message is sent when the connection is back.";
// The badge of an SMS conversation: text, not colour alone, with a name
// for screen readers.
export const SMS_BADGE_TEXT = "SMS";
export const SMS_BADGE_LABEL = "Text message";
