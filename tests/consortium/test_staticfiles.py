"""Production static files (DEBUG=False): collectstatic with the manifest
storage rewrites the ES module imports of the patron chat (and every other
static module) to hashed names, and WhiteNoise serves those names."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(
    r"""^(?:import|export)\b[^"';]*?\bfrom\s*["']([^"']+)["']\s*;""", re.M
)

SERVE = """
import django, json, sys
django.setup()
from django.conf import settings
from django.templatetags.static import static
from django.test import Client
client = Client()
out = {"storage": settings.STORAGES["staticfiles"]["BACKEND"], "main_url": static("chat/patron/main.js")}
for name in sys.argv[1:]:
    r = client.get("/static/" + name, secure=True, HTTP_HOST="localhost")
    out[name] = [r.status_code, r.get("Content-Type", ""), r.get("Cache-Control", ""),
                 b"".join(r.streaming_content if r.streaming else [r.content]).decode()]
print(json.dumps(out))
"""


def production_env(static_root):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="consortium.settings",
        DEBUG="False",
        SECRET_KEY="static-files-test",
        STATIC_ROOT=str(static_root),
    )
    return env


def collect(static_root, env):
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [
        line
        for line in done.stderr.splitlines()
        if "Error" in line or "could not" in line
    ]
    assert done.returncode == 0, "\n".join(errors[-5:]) or done.stderr[-3000:]
    return json.loads((static_root / "staticfiles.json").read_text())["paths"]


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """collectstatic of the patron page's modules (static/chat/patron and
    static/chat/shared, copied alone, so that another page's files do not
    decide this test), with the production settings."""
    tmp = tmp_path_factory.mktemp("patron-static")
    static_root, sources = tmp / "root", tmp / "src"
    for part in ("patron", "shared"):
        shutil.copytree(ROOT / "static/chat" / part, sources / "chat" / part)
    (tmp / "patron_static_settings.py").write_text(
        f"from consortium.settings import *  # noqa\nSTATICFILES_DIRS = [{str(sources)!r}]\n"
    )
    env = production_env(static_root)
    env["DJANGO_SETTINGS_MODULE"] = "patron_static_settings"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(tmp), str(ROOT), env.get("PYTHONPATH", "")]
    )
    return static_root, env, collect(static_root, env)


def module_graph(manifest, static_root, entry):
    """Every module reachable from `entry` (an unhashed name) and its imports
    as written in the collected, hashed file."""
    seen, todo, graph = set(), [entry], {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        text = (static_root / manifest[name]).read_text()
        specs = IMPORT.findall(text)
        graph[name] = specs
        base = name.rsplit("/", 1)[0]
        for spec in specs:
            hashed = os.path.normpath(f"{base}/{spec}")
            original = next(k for k, v in manifest.items() if v == hashed)
            todo.append(original)
    return graph


def test_patron_modules_import_each_other_by_hashed_name(collected):
    static_root, _, manifest = collected
    graph = module_graph(manifest, static_root, "chat/patron/main.js")
    names = set(graph)
    assert "chat/patron/chat.js" in names
    assert {
        "chat/shared/socket.js",
        "chat/shared/messages.js",
        "chat/shared/text.js",
    } <= names
    for name, specs in graph.items():
        for spec in specs:
            assert spec.startswith(("./", "../")), (name, spec)
            assert re.search(r"\.[0-9a-f]{12}\.js$", spec), (
                f"{name} imports {spec} unhashed"
            )
            target = os.path.normpath(f"{name.rsplit('/', 1)[0]}/{spec}")
            assert (static_root / target).is_file(), (name, spec)
    # Every source module of the patron page was reached (nothing loaded
    # outside the graph).
    sources = {
        f"chat/patron/{p.name}" for p in (ROOT / "static/chat/patron").glob("*.js")
    }
    assert sources <= names


def test_whitenoise_serves_the_hashed_modules_with_debug_off(collected):
    static_root, env, manifest = collected
    main = manifest["chat/patron/main.js"]
    socket = manifest["chat/shared/socket.js"]
    done = subprocess.run(
        [sys.executable, "-c", SERVE, main, socket],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["storage"] == "consortium.staticfiles.ManifestStaticFilesStorage"
    assert out["main_url"] == "/static/" + main, (
        "the template tag gives the hashed entry"
    )
    for name in (main, socket):
        status, content_type, cache_control, body = out[name]
        assert status == 200, name
        assert "javascript" in content_type, content_type
        assert "immutable" in cache_control, cache_control
        assert body == (static_root / name).read_text()
    assert "./context." in out[main][3] and '"./context.js"' not in out[main][3]


def test_the_patron_page_loads_its_entry_as_a_module():
    template = (ROOT / "templates/chat/patron.html").read_text()
    assert (
        """<script type="module" src="{% static 'chat/patron/main.js' %}"></script>"""
        in template
    )
    assert "patron.js" not in template
    assert not (ROOT / "static/chat/patron.js").exists()


def test_collectstatic_of_the_whole_site_succeeds(tmp_path):
    """What a deploy runs. Fails when a static module imports a missing file
    or modules import each other in a cycle (a module's hash depends on the
    hashes of those it imports)."""
    static_root = tmp_path / "root"
    manifest = collect(static_root, production_env(static_root))
    assert "chat/patron/main.js" in manifest
