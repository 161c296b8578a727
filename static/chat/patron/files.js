/* Attaching a file: size checks, the upload (POST /chat/c/<token>/files)
 * and its "Uploading …" placeholder in the log. */
import { randomId } from "../shared/messages.js";
import { $, t, request, formatSize, MAX_FILE } from "./context.js";
import { showAlert } from "./alerts.js";
import { session } from "./session.js";
import { addMessage, addPending, dropPending } from "./log.js";
import { fetchState, chatGone } from "./chat.js";

export function initFiles() {
  $("attach").addEventListener("click", () => { $("file-input").click(); });
  $("file-input").addEventListener("change", function () {
    const input = this;
    const file = input.files && input.files[0];
    input.value = "";
    const token = session.token;
    if (!file || !token) return;
    showAlert("");
    if (file.size > MAX_FILE) { showAlert(t("fileTooBig", { name: file.name, max: formatSize(MAX_FILE) })); return; }
    if (file.size === 0) { showAlert(t("fileEmpty", { name: file.name })); return; }
    const clientId = "p-" + randomId();
    const p = addPending(clientId, "", file);
    const body = new FormData();
    body.append("file", file, file.name);
    body.append("client_id", clientId);
    request("POST", "/chat/c/" + encodeURIComponent(token) + "/files", body, true)
      .then((res) => {
        if ((res.status === 201 || res.status === 200) && res.data.message) {
          addMessage(res.data.message);
          if (session.index.findPending(clientId)) session.index.removePending(p);
          if (p.view.parentNode && !p.view.hasAttribute("data-seq")) p.view.parentNode.removeChild(p.view);
        } else {
          dropPending(p);
          const reason = res.data.error || (res.status === 413 ? t("fileTooBig", { name: file.name, max: formatSize(MAX_FILE) }) : t("errGeneric"));
          showAlert(reason);
          if (res.status === 409) fetchState();
          if (res.status === 404) chatGone();
        }
      })
      .catch(() => {
        dropPending(p);
        showAlert(t("errNetwork"));
      });
  });
}
