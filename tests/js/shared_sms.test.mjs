// node --test tests/js/ — SMS length (static/chat/shared/sms.js).
// Limits and alphabets as published: 3GPP TS 23.038 (GSM 03.38 default
// alphabet and extension table); 160/153 septets and 70/67 UCS-2 units per
// single/concatenated segment (3GPP TS 23.040 user data header of 6 bytes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { smsEncoding, smsInfo, splitNumbered } from "../../static/chat/shared/sms.js";

test("plain text, accents of the default alphabet and the euro sign are GSM-7", () => {
  assert.equal(smsEncoding("Hello, are you open on Sunday?"), "GSM-7");
  assert.equal(smsEncoding("¿Está abierta la biblioteca? Ñandú, Øre, Ç"), "UCS-2"); // á is not in GSM-7
  assert.equal(smsEncoding("Ñoño Øre Ç é ü à ù ¿¡"), "GSM-7");
  assert.equal(smsEncoding("ú"), "UCS-2"); // ù has a code, ú has none
  assert.equal(smsEncoding("Costs 5€ [see {note}]"), "GSM-7");
});

test("characters outside the alphabet make the whole text UCS-2", () => {
  assert.equal(smsEncoding("ç"), "UCS-2"); // only the capital Ç has a code
  assert.equal(smsEncoding("ê"), "UCS-2");
  assert.equal(smsEncoding("Thanks 😀"), "UCS-2");
  assert.equal(smsEncoding("谢谢"), "UCS-2");
});

test("GSM-7: 160 septets in one segment, then parts of 153", () => {
  assert.deepEqual(
    [0, 1, 160, 161, 306, 307].map((n) => smsInfo("a".repeat(n)).segments),
    [0, 1, 1, 2, 2, 3],
  );
  const info = smsInfo("a".repeat(150));
  assert.equal(info.perSegment, 160);
  assert.equal(info.remaining, 10);
});

test("an extension character costs two septets and never splits between parts", () => {
  assert.equal(smsInfo("€".repeat(80)).units, 160);
  assert.equal(smsInfo("€".repeat(80)).segments, 1);
  const long = smsInfo("€".repeat(81)); // 76 fit in a 153-septet part
  assert.equal(long.segments, 2);
  assert.equal(long.remaining, 153 - 2 * 5);
});

test("UCS-2: 70 units in one segment, then parts of 67; an emoji is two units", () => {
  assert.deepEqual(
    [70, 71, 134, 135].map((n) => smsInfo("ç".repeat(n)).segments),
    [1, 2, 2, 3],
  );
  assert.equal(smsInfo("😀".repeat(35)).units, 70);
  assert.equal(smsInfo("😀".repeat(35)).segments, 1);
  assert.equal(smsInfo("😀".repeat(36)).segments, 2); // 33 per part, pairs kept whole
});

test("a long answer becomes numbered texts of at most 150 characters", () => {
  const answer = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");
  const texts = splitNumbered(answer, 150);
  assert.ok(texts.length > 1);
  texts.forEach((t, i) => {
    assert.ok(t.startsWith(`${i + 1}/${texts.length} `), t);
    assert.ok(Array.from(t).length <= 150, t);
  });
  assert.equal(
    texts.map((t) => t.replace(/^\d+\/\d+ /, "")).join(" "),
    answer,
  );
  assert.deepEqual(splitNumbered("Short answer.", 150), ["Short answer."]);
});
