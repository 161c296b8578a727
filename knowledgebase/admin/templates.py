"""The knowledge-base admin's templates. They are small extensions of the
admin's own templates, kept here as strings so the admin is one package; each
is compiled once by the project's Django template engine (autoescaping on:
user content is escaped like in any template)."""

from __future__ import annotations

from functools import cache

from django.template import engines

# In a static file: the Content-Security-Policy allows no inline <style>.
STYLE = """<link rel="stylesheet" href="{% static 'knowledgebase/admin.css' %}">"""

BREADCRUMBS = """{% block breadcrumbs %}
<div class="breadcrumbs">
<a href="{% url 'admin:index' %}">Home</a>
&rsaquo; <a href="{% url 'admin:app_list' app_label=opts.app_label %}">{{ opts.app_config.verbose_name }}</a>
&rsaquo; <a href="{% url opts|admin_urlname:'changelist' %}">{{ opts.verbose_name_plural|capfirst }}</a>
&rsaquo; {% if object_url %}<a href="{{ object_url }}">{{ object|truncatewords:18 }}</a>{% else %}{{ object|truncatewords:18 }}{% endif %}
{% if history_url %}&rsaquo; <a href="{{ history_url }}">History</a>{% endif %}
&rsaquo; {{ crumb }}
</div>
{% endblock %}"""

# The versions of one object (or the timeline of a policy page).
VERSIONS = (
    """{% extends "admin/base_site.html" %}
{% load admin_urls static %}
{% block extrastyle %}{{ block.super }}"""
    + STYLE
    + """{% endblock %}
{% block bodyclass %}{{ block.super }} app-{{ opts.app_label }} model-{{ opts.model_name }} object-history{% endblock %}
"""
    + BREADCRUMBS
    + """
{% block content %}<div id="content-main">
{% if deleted %}<p class="errornote">This entry was deleted. Its versions are kept; restoring one brings it back.</p>{% endif %}
<p class="kb-intro">{{ intro }}</p>
<div class="module">
<table id="change-history" class="kb-versions">
<caption class="kb-sr">Versions, newest first</caption>
<thead><tr>
<th scope="col">When</th><th scope="col">Who</th>{% if show_what %}<th scope="col">What</th>{% endif %}
<th scope="col">Change</th><th scope="col">Note</th><th scope="col"><span class="kb-sr">Details</span></th>
</tr></thead>
<tbody>
{% for row in rows %}
<tr{% if row.current %} class="kb-current"{% endif %}>
<th scope="row">{{ row.when|date:"DATETIME_FORMAT" }}</th>
<td>{{ row.who }}</td>
{% if show_what %}<td>{{ row.what }}{% if row.staff %} <span class="kb-staff-note">(staff only)</span>{% endif %}</td>{% endif %}
<td>{{ row.change }}{% if row.current %} (current){% endif %}</td>
<td>{{ row.reason }}</td>
<td>{% if row.url %}<a href="{{ row.url }}">See changes{% if row.can_restore %} or restore{% endif %}</a>{% endif %}</td>
</tr>
{% empty %}
<tr><td colspan="6">No versions are recorded for this entry yet.</td></tr>
{% endfor %}
</tbody>
</table>
</div>
{% if truncated %}<p>Only the latest {{ rows|length }} changes are shown.</p>{% endif %}
</div>{% endblock %}"""
)

# One version, compared with the one before it (or any other).
VERSION = (
    """{% extends "admin/base_site.html" %}
{% load admin_urls static %}
{% block extrastyle %}{{ block.super }}"""
    + STYLE
    + """{% endblock %}
{% block bodyclass %}{{ block.super }} app-{{ opts.app_label }} model-{{ opts.model_name }} object-history{% endblock %}
"""
    + BREADCRUMBS
    + """
{% block content %}<div id="content-main">
<p class="kb-intro">{{ change }} by <strong>{{ who }}</strong> on {{ when|date:"DATETIME_FORMAT" }}{% if reason %} — “{{ reason }}”{% endif %}.
{% if is_current %}This is the current version.{% endif %}</p>

{% if others %}
<form method="get" class="kb-compare">
<label for="id_against">Compare this version with</label>
<select name="against" id="id_against">
{% for other in others %}<option value="{{ other.id }}"{% if other.selected %} selected{% endif %}>{{ other.label }}</option>{% endfor %}
</select>
<input type="submit" value="Compare">
</form>
{% endif %}

<h2>{% if base_label %}Changes from the version of {{ base_label }} to this one{% else %}The first version{% endif %}</h2>
{% if not fields and not texts %}<p>No differences in the recorded fields.</p>{% endif %}
{% for text in texts %}
<h3>{{ text.label }}</h3>
<p class="kb-sr">Removed text is marked with a minus and struck through; added text with a plus.</p>
{{ text.diff }}
{% endfor %}
{% if fields %}
<div class="module">
<table>
<caption class="kb-sr">Changed fields</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
<tbody>
{% for field in fields %}<tr><th scope="row">{{ field.label }}</th><td>{{ field.before }}</td><td>{{ field.after }}</td></tr>{% endfor %}
</tbody>
</table>
</div>
{% endif %}

{% if can_restore %}
<form method="post" action="{{ restore_url }}">{% csrf_token %}
<div class="submit-row kb-review">
<input type="submit" class="default" value="Restore this version">
<p>The text of this version becomes the current one, saved as a new version: nothing is lost and you can undo it the same way.</p>
</div>
</form>
{% endif %}
<p><a href="{{ history_url }}">Back to every version</a></p>
</div>{% endblock %}"""
)

# The change form of the knowledge base's entries: the "History" button
# says what it holds, and staff-only entries stand out.
CHANGE_FORM = (
    """{% extends "admin/change_form.html" %}
{% load admin_urls static %}
{% block extrastyle %}{{ block.super }}"""
    + STYLE
    + """{% endblock %}
{% block object-tools-items %}
<li><a href="{% url opts|admin_urlname:'history' original.pk|admin_urlquote %}" class="historylink">History and earlier versions</a></li>
{% if has_absolute_url %}<li><a href="{{ absolute_url }}" class="viewsitelink">View on site</a></li>{% endif %}
{% endblock %}
{% block form_top %}
{% if kb_note %}<p class="kb-intro">{{ kb_note }}</p>{% endif %}
{% if own_version_url %}<p class="kb-intro">This consortium-wide message is read-only for you.
<a href="{{ own_version_url }}">{{ own_version_label }}</a></p>{% endif %}
{% endblock %}"""
)

# A library's policy page with its sections, and "Save and mark reviewed".
PAGE_FORM = (
    CHANGE_FORM
    + """
{% block submit_buttons_bottom %}{{ block.super }}
{% if change and has_change_permission %}
<div class="submit-row kb-review">
<input type="submit" name="_mark_reviewed" value="Save and mark reviewed">
<p>Checked every section? Marking the page reviewed restarts its review clock
(coordinators are reminded when it is due).</p>
</div>
{% endif %}
{% endblock %}"""
)

SOURCES = {
    "versions": VERSIONS,
    "version": VERSION,
    "change_form": CHANGE_FORM,
    "page_form": PAGE_FORM,
}


@cache
def template(name: str):
    """The compiled template `name` (see SOURCES)."""
    return engines["django"].from_string(SOURCES[name])
