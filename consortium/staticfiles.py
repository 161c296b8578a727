"""Static files storage for production (DEBUG=False).

WhiteNoise's compressed manifest storage, with Django's rewriting of ES
module imports turned on: `import { x } from "./socket.js"` in a static
module becomes `from "./socket.<hash>.js"`, so a page's modules (the
patron chat's `static/chat/patron/`, the shared `static/chat/shared/`) are
served with hashed names, cached for good, and never mixed across a deploy.
Imports between modules must be relative and form no cycle (a module is
hashed after the ones it imports); tests/js/patron_modules.test.mjs checks.
Each level of an import chain can cost collectstatic one more pass (the
patron's chain is 10 deep), so the pass limit is well above Django's 5.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
    max_post_process_passes = 25
