/* "How did we do?" when a chat is over, however it ended: a score of 1 to 5
 * (radio buttons), an optional comment, Submit or Skip, once per chat.
 * The server says whether the chat was rated (`rated` in its state); a
 * skip, or an answer sent from this device, is remembered under
 * RATING_KEY (the chat's token), so a reload does not ask again. */
import { charCount } from "../shared/text.js";
import { $, t, show, request, config, RATING_KEY } from "./context.js";
import { session } from "./session.js";
import { store } from "./storage.js";
import { setFieldError, clearErrors } from "./fields.js";
import { ratingWanted, parseScore, ratingProblem, ratingOutcome } from "./rating_state.js";

const MAX = Number(config.max_rating_comment_chars) || 1000;

// What the form shows for the chat of `token`: the problem last found (to
// say again in the other language), or the closing words once answered.
const view = { token: null, problem: null, done: null };

function reset(token) {
  view.token = token;
  view.problem = null;
  view.done = null;
  const form = $("rating-form");
  form.reset();
  clearErrors(form);
  showError("");
  show($("rating-done"), false);
  updateCount();
}

/** Called with every state of a chat that is over (ended.js). */
export function showRating(s) {
  const token = session.token;
  if (view.token !== token) reset(token);
  const wanted = !view.done && ratingWanted(s, token, store.get(RATING_KEY));
  show($("rating-form"), wanted);
}

function showError(text) {
  const el = $("rating-error");
  el.textContent = text;
  show(el, !!text);
}

function render(problem) {
  const form = $("rating-form");
  clearErrors(form);
  showError("");
  if (!problem) return null;
  const text = t(problem.key, problem.vars);
  if (problem.field === "score") return setFieldError("rating-score", [text]);
  if (problem.field === "comment") return setFieldError("rating-comment", [text]);
  showError(text);
  return null;
}

function fail(problem) {
  view.problem = problem;
  const target = render(problem);
  if (target) target.focus();
}

function finish(key) {
  view.done = key;
  view.problem = null;
  store.set(RATING_KEY, view.token);
  show($("rating-form"), false);
  const done = $("rating-done");
  done.textContent = key ? t(key) : "";
  show(done, !!key);
  (key ? done : $("ended-title")).focus();
}

function updateCount() {
  // What maxlength counts (UTF-16 units): never less than the server's count.
  const left = Math.max(0, MAX - $("rating-comment").value.length);
  $("rating-comment-count").textContent = left === 1 ? t("counterLeftOne") : t("counterLeft", { n: left });
}

function submit(e) {
  e.preventDefault();
  const form = $("rating-form");
  const checked = form.querySelector("input[name=score]:checked");
  const score = parseScore(checked ? checked.value : null);
  const comment = $("rating-comment").value.trim();
  const problem = ratingProblem(score, charCount(comment), MAX);
  if (problem) { fail(problem); return; }
  view.problem = null;
  render(null);
  const token = session.token;
  const button = $("rating-submit");
  button.disabled = true;
  button.textContent = t("ratingSending");
  request("POST", "/chat/c/" + encodeURIComponent(token) + "/rating", { score, comment })
    .then((res) => {
      if (session.token !== token) return;
      const outcome = ratingOutcome(res.status, res.data);
      if (outcome.done) finish(outcome.key);
      else fail({ field: outcome.field, key: outcome.key, vars: { max: MAX } });
    })
    .catch(() => { fail({ field: null, key: "errNetwork", vars: {} }); })
    .then(() => { button.disabled = false; button.textContent = t("ratingSubmit"); });
}

export function initRating() {
  $("rating-form").addEventListener("submit", submit);
  $("rating-skip").addEventListener("click", () => { finish(null); });
  $("rating-comment").addEventListener("input", updateCount);
  // After language.js has translated the page: the words set from here.
  $("lang-toggle").addEventListener("click", () => {
    updateCount();
    if (view.problem) render(view.problem);
    if (view.done) $("rating-done").textContent = t(view.done);
  });
  updateCount();
}
