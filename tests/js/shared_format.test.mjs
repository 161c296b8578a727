// The shared formatting and i18n helpers (static/chat/shared/format.js, i18n.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatTime, formatWhen, formatDuration, formatSize } from "../../static/chat/shared/format.js";
import { interpolate, makeTranslator, pickLanguage } from "../../static/chat/shared/i18n.js";

const ISO = "2026-11-23T19:46:41.123+00:00";

test("formatTime in the patron's language", () => {
  assert.match(formatTime(ISO, "en", { timeZone: "UTC" }), /^7:46\sPM$/u);
  assert.equal(formatTime(ISO, "es", { timeZone: "UTC" }), "19:46");
  assert.equal(formatTime(ISO, "es", { timeZone: "America/New_York" }), "14:46");
  assert.equal(formatTime("not a date", "en"), "");
  assert.equal(formatTime("", "en"), "");
});

test("formatWhen names the day in the language and the library's zone", () => {
  const en = formatWhen(ISO, "en", "America/New_York");
  assert.match(en, /Monday/);
  assert.match(en, /November 23/);
  assert.match(en, /2:46\sPM/u);
  assert.match(en, /EST/);
  const es = formatWhen(ISO, "es", "America/New_York");
  assert.match(es, /lunes/);
  assert.match(es, /noviembre/);
  assert.match(es, /14:46/);
  assert.equal(formatWhen("nope", "en"), "");
});

test("formatDuration", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(-5000), "0:00");
  assert.equal(formatDuration(65_000), "1:05");
  assert.equal(formatDuration(3_725_000), "1:02:05");
});

test("formatSize with the language's decimal mark", () => {
  assert.equal(formatSize(512, "en"), "512 bytes");
  assert.equal(formatSize(1536, "en"), "1.5 KB");
  assert.equal(formatSize(1536, "es"), "1,5 KB");
  assert.equal(formatSize(20480, "en"), "20 KB");
  assert.equal(formatSize(10485760, "en"), "10 MB");
  assert.equal(formatSize(3565158, "es"), "3,4 MB");
  assert.equal(formatSize(undefined, "en"), "0 bytes");
  assert.equal(formatSize(12, "es", "{n} octets"), "12 octets");
});

test("interpolate and makeTranslator", () => {
  assert.equal(interpolate("{n} / {max}", { n: 3, max: 10 }), "3 / 10");
  assert.equal(interpolate("{n} and {unknown}", { n: 1 }), "1 and {unknown}");
  let lang = "en";
  const t = makeTranslator({ en: { a: "Hello {name}", b: "Only English" }, es: { a: "Hola {name}" } }, () => lang);
  assert.equal(t("a", { name: "Ana" }), "Hello Ana");
  lang = "es";
  assert.equal(t("a", { name: "Ana" }), "Hola Ana");
  assert.equal(t("b"), "Only English");
  assert.equal(t("missing"), "missing");
});

test("pickLanguage", () => {
  assert.equal(pickLanguage("es-MX"), "es");
  assert.equal(pickLanguage("fr"), "en");
  assert.equal(pickLanguage(undefined), "en");
});
