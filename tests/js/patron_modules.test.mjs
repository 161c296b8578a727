// The patron page's ES modules (static/chat/patron/, static/chat/shared/):
// every import is relative (WhiteNoise's manifest rewrites them to hashed
// names), resolves to a file, and names something that file exports; no
// module is longer than 400 lines; no inline HTML.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const STATIC = resolve(dirname(fileURLToPath(import.meta.url)), "../../static/chat");
const files = ["patron", "shared"].flatMap((d) =>
  readdirSync(join(STATIC, d)).filter((f) => f.endsWith(".js")).map((f) => join(STATIC, d, f)));

const IMPORT = /^import\s+(?:\{([^}]*)\}\s+from\s+)?"([^"]+)";/gm;

function exportsOf(path) {
  const src = readFileSync(path, "utf8");
  const names = new Set();
  for (const m of src.matchAll(/^export\s+(?:async\s+)?(?:function|const|let|class)\s+([\w$]+)/gm)) names.add(m[1]);
  return names;
}

test("the patron entry and the shared modules exist", () => {
  assert.ok(existsSync(join(STATIC, "patron", "main.js")));
  for (const name of ["text", "format", "i18n", "messages", "socket"]) {
    assert.ok(existsSync(join(STATIC, "shared", name + ".js")), name);
  }
  assert.ok(!existsSync(join(STATIC, "patron.js")), "the old single file is gone");
});

test("imports are relative, resolve, and name exported bindings", () => {
  for (const file of files) {
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(IMPORT)) {
      const [, names, spec] = m;
      assert.match(spec, /^\.\.?\/[\w./-]+\.js$/, `${file}: relative import with .js: ${spec}`);
      const target = resolve(dirname(file), spec);
      assert.ok(existsSync(target), `${file}: ${spec} exists`);
      const exported = exportsOf(target);
      for (const raw of (names || "").split(",")) {
        const name = raw.trim().split(/\s+as\s+/)[0];
        if (name) assert.ok(exported.has(name), `${file}: ${spec} exports ${name}`);
      }
    }
    assert.doesNotMatch(src, /\bimport\s*\(/, `${file}: no dynamic import`);
  }
});

test("no module is longer than 400 lines and none writes HTML", () => {
  for (const file of files) {
    const src = readFileSync(file, "utf8");
    assert.ok(src.split("\n").length <= 400, `${file} has ${src.split("\n").length} lines`);
    assert.doesNotMatch(src, /\.innerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/, file);
  }
});

test("the shared modules load without a DOM", async () => {
  for (const name of ["text", "format", "i18n", "messages", "socket"]) {
    const mod = await import(join(STATIC, "shared", name + ".js"));
    assert.ok(Object.keys(mod).length > 0, name);
  }
});

test("the import graph has no cycles (the manifest storage hashes a module after those it imports)", () => {
  const edges = new Map();
  for (const file of files) {
    const src = readFileSync(file, "utf8");
    edges.set(file, [...src.matchAll(IMPORT)].map((m) => resolve(dirname(file), m[2])));
  }
  const state = new Map();  // 1 visiting, 2 done
  const visit = (f, path) => {
    if (state.get(f) === 2) return;
    assert.notEqual(state.get(f), 1, "cycle: " + path.concat(f).map((p) => p.slice(STATIC.length + 1)).join(" -> "));
    state.set(f, 1);
    for (const g of edges.get(f) || []) visit(g, path.concat(f));
    state.set(f, 2);
  };
  for (const f of files) visit(f, []);
});
