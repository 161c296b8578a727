/* The desk's JSON API over fetch, with the session and the CSRF token. */
import {API} from "./config.js";
import {errorForStatus} from "./format.js";

function csrfToken() {
  var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  var input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

/** fetch with the session and CSRF token; resolves {ok, status, data}. */
export function api(method, path, body) {
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
