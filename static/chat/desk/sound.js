/* Alert sounds (Web Audio, no files) and the "Mute sounds" button. */
import {STORE} from "./constants.js";
import {muteButton} from "./page.js";

var muted = false;
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

export function beep(urgent) {
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

export function initSound() {
  try { muted = window.localStorage.getItem(STORE + "mute") === "1"; } catch (e) { muted = false; }
  document.addEventListener("pointerdown", unlockAudio, true);
  document.addEventListener("keydown", unlockAudio, true);
  if (muteButton) {
    showMute();
    muteButton.addEventListener("click", function () {
      muted = !muted;
      try { window.localStorage.setItem(STORE + "mute", muted ? "1" : "0"); } catch (e) { /* ignore */ }
      showMute();
      if (!muted) beep(false);
    });
  }
}
