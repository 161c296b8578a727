/* The page's configuration (`desk_config` as JSON in #desk-config). */

/** The configuration object from the JSON text; {} when it is not one. */
export function parseConfig(text) {
  var config;
  try {
    config = JSON.parse(text || "{}") || {};
  } catch (e) {
    config = {};
  }
  if (typeof config !== "object" || Array.isArray(config)) config = {};
  return config;
}

/** The API prefix with one trailing slash. */
export function apiPrefix(api) {
  return (api || "/desk/api/").replace(/\/?$/, "/");
}

var configNode = typeof document !== "undefined" ? document.getElementById("desk-config") : null;
export var config = parseConfig(configNode ? configNode.textContent : "{}");
export var me = config.me || {};
export var WS_URL = config.ws_url || "/ws/desk/";
export var API = apiPrefix(config.api);
export var MAX_CHARS = config.max_message_chars || 4000;
export var MAX_FILE = config.max_file_bytes || 10 * 1024 * 1024;
