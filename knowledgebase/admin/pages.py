"""Policy pages (K1) and their review (K4) in the admin. A coordinator opens
their library's page and finds every section ready to fill in (the eight
kinds, public, plus a staff-only e-resources section), edits them with the
prose editor, and saves — or saves and marks the page reviewed. Sections
are written by `services.section_save` (sanitised, history with the user);
the review by `services.page_mark_reviewed`."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html

from consortium import scoping
from consortium.admin.base import ScopedInline
from consortium.admin.service_admin import (
    ServiceRefused,
    each,
    refusal_messages,
    run_service,
    who,
)
from consortium.models import ConsortiumSettings, Library
from consortium.services import DomainError
from knowledgebase import services
from knowledgebase.admin.base import (
    STAFF_ONLY_HELP,
    KbServiceAdmin,
    ReasonForm,
    change_reason,
)
from knowledgebase.admin.templates import template
from knowledgebase.admin.versions import (
    MAX_ROWS,
    history_context,
    version_row,
)
from knowledgebase.models import PolicyPage, PolicySection, Visibility

Kind = PolicySection.Kind
KIND_LABELS = dict(Kind.choices)
KIND_ORDER = Case(
    *[When(kind=kind, then=Value(n)) for n, kind in enumerate(Kind.values)],
    output_field=IntegerField(),
)


def missing_sections(page: PolicyPage | None) -> list[tuple[str, str]]:
    """The sections a page should have and does not yet: every kind (public),
    and a staff-only e-resources section for co-op staff's login help."""
    have = set()
    if page is not None and page.pk:
        have = set(page.sections.values_list("kind", "visibility"))
    wanted = [
        (kind, Visibility.PUBLIC)
        for kind in Kind.values
        if (kind, Visibility.PUBLIC) not in have
    ]
    if (Kind.ERESOURCES, Visibility.STAFF) not in have:
        wanted.append((Kind.ERESOURCES, Visibility.STAFF))
    return [(kind, str(visibility)) for kind, visibility in wanted]


def public_url(obj) -> str | None:
    """The patron-facing address, once the public pages are installed."""
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:
        return None


def audience(section) -> str:
    if section.visibility == Visibility.STAFF:
        return format_html(
            '<strong class="kb-staff-note">{}</strong>',
            "Staff only — never shown to patrons",
        )
    return "Public"


class SectionForm(forms.ModelForm):
    class Meta:
        model = PolicySection
        fields = ("kind", "visibility", "body")
        help_texts = {"visibility": STAFF_ONLY_HELP}


class SectionInline(ScopedInline, admin.StackedInline):
    """A page's sections, in the order patrons read them."""

    model = PolicySection
    form = SectionForm
    coordinator_can = frozenset({"view", "add", "change"})
    fields = ("kind", "visibility", "body", "section_history")
    readonly_fields = ("section_history",)
    radio_fields = {"visibility": admin.HORIZONTAL}
    can_delete = False  # a section that does not apply is left empty
    verbose_name = "section"
    verbose_name_plural = "sections"

    def get_queryset(self, request):
        return super().get_queryset(request).order_by(KIND_ORDER, "visibility")

    def get_extra(self, request, obj=None, **kwargs):
        # Blank forms for the missing sections (their kinds come as initial
        # data, see PolicyPageAdmin.get_formset_kwargs); one left untouched
        # is not saved.
        return len(missing_sections(obj))

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="history")
    def section_history(self, obj):
        if obj is None or obj.pk is None:
            return "Saved with the page."
        return format_html(
            '<a href="{}">History and earlier versions of this section</a>',
            reverse("admin:knowledgebase_policysection_history", args=[obj.pk]),
        )


class PageForm(ReasonForm):
    class Meta:
        model = PolicyPage
        fields = ("library", "review_interval_days")


@admin.register(PolicyPage)
class PolicyPageAdmin(KbServiceAdmin):
    coordinator_can = frozenset({"view", "add", "change"})
    coordinator_readonly_fields = ("review_interval_days",)
    form = PageForm
    inlines = [SectionInline]
    list_display = (
        "library",
        "last_reviewed_at",
        "reviewed_by",
        "review_due",
        "overdue",
        "public_sections",
        "staff_sections",
    )
    list_select_related = ("library", "reviewed_by")
    search_fields = ("library__name", "library__code")
    actions = ["mark_reviewed"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "library",
                    "review_status",
                    "review_interval_days",
                    "public_page",
                    "change_reason",
                )
            },
        ),
    )

    @property
    def change_form_template(self):
        return template("page_form")

    def get_queryset(self, request):
        filled = ~Q(sections__body="")
        return (
            super()
            .get_queryset(request)
            .annotate(
                public_count=Count(
                    "sections",
                    filter=Q(sections__visibility=Visibility.PUBLIC) & filled,
                ),
                staff_count=Count(
                    "sections",
                    filter=Q(sections__visibility=Visibility.STAFF) & filled,
                ),
                default_interval=Value(
                    ConsortiumSettings.load().review_interval_days,
                    output_field=IntegerField(),
                ),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        fields += ["review_status", "public_page"]
        if obj is not None:
            fields.append("library")
        return fields

    def has_add_permission(self, request):
        # One page per library: offered while a library has none.
        if not super().has_add_permission(request):
            return False
        libraries = scoping.visible(
            Library.objects.filter(active=True), request.user, include_shared=False
        )
        return libraries.filter(policy_page__isnull=True).exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "library":
            kwargs["queryset"] = Library.objects.filter(policy_page__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, SectionInline):
            # The same initial data on GET and POST, so untouched blank
            # sections are recognised as unchanged and not saved.
            kwargs["initial"] = [
                {"kind": kind, "visibility": visibility}
                for kind, visibility in missing_sections(obj)
            ]
        return kwargs

    # --- what the list and the form show ---

    def _due(self, obj):
        config = ConsortiumSettings(
            review_interval_days=getattr(obj, "default_interval", None)
            or ConsortiumSettings.load().review_interval_days
        )
        return services.review_due_on(obj, config)

    @admin.display(description="review due on")
    def review_due(self, obj):
        due = self._due(obj)
        if due < timezone.localdate():
            return format_html(
                '<strong class="kb-staff-note">{} (overdue)</strong>',
                due.isoformat(),
            )
        return due.isoformat()

    @admin.display(description="overdue", boolean=True)
    def overdue(self, obj):
        return self._due(obj) < timezone.localdate()

    @admin.display(description="public sections", ordering="public_count")
    def public_sections(self, obj):
        return getattr(obj, "public_count", "—")

    @admin.display(description="staff-only sections", ordering="staff_count")
    def staff_sections(self, obj):
        return getattr(obj, "staff_count", "—")

    @admin.display(description="review")
    def review_status(self, obj):
        if obj is None or obj.pk is None:
            return "Not reviewed yet."
        due = f"{self._due(obj):%B %-d, %Y}"
        last = "Never reviewed."
        if obj.last_reviewed_at:
            by = f" by {who(obj.reviewed_by)}" if obj.reviewed_by else ""
            last = f"Last reviewed on {obj.last_reviewed_at:%B %-d, %Y}{by}."
        if self.overdue(obj):
            return format_html(
                '{} <strong class="kb-staff-note">The review was '
                "due on {}: please check every section and press “Save and mark "
                "reviewed”.</strong>",
                last,
                due,
            )
        return format_html("{} Next review due on {}.", last, due)

    @admin.display(description="public page")
    def public_page(self, obj):
        url = public_url(obj) if obj is not None and obj.pk else None
        if url is None:
            return "—"
        return format_html(
            '<a href="{}">What patrons see</a> (staff-only sections are left out)',
            url,
        )

    # --- writes ---

    def save_model(self, request, obj, form, change):
        if change and not set(form.changed_data) - {"change_reason"}:
            return  # only the sections changed: no new page version
        run_service(lambda: services.page_save(actor=request.user, page=obj))

    def save_formset(self, request, form, formset, change):
        reason = change_reason(form)
        for section in formset.save(commit=False):
            try:
                run_service(
                    lambda section=section: services.section_save(
                        actor=request.user, section=section, reason=reason
                    )
                )
            except ServiceRefused as refused:
                # Name the section: the form shows the message above the page.
                label = str(section)
                raise ServiceRefused(
                    DomainError(
                        " ".join(
                            f"{label}: {text}"
                            for text in refusal_messages(refused.error)
                        )
                    )
                ) from refused
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and "_mark_reviewed" in request.POST:
            run_service(
                lambda: services.page_mark_reviewed(
                    actor=request.user, page_id=form.instance.pk
                )
            )

    def response_change(self, request, obj):
        if "_mark_reviewed" in request.POST:
            obj.refresh_from_db()
            self.message_user(
                request,
                f"Saved, and marked reviewed today. The next review is due on "
                f"{self._due(obj):%B %-d, %Y}.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        # Straight back to the page: the sections are filled in there.
        response = super().response_add(request, obj, post_url_continue)
        if "_addanother" in request.POST or "_popup" in request.POST:
            return response
        return HttpResponseRedirect(
            reverse("admin:knowledgebase_policypage_change", args=[obj.pk])
        )

    @admin.action(
        description="Mark the selected pages reviewed", permissions=["change"]
    )
    def mark_reviewed(self, request, queryset):
        each(
            self,
            request,
            queryset,
            lambda page: services.page_mark_reviewed(
                actor=request.user, page_id=page.pk
            ),
            "page(s) marked reviewed",
        )

    # --- history: the page's own versions and all its sections' ---

    def history_view(self, request, object_id, extra_context=None):
        page = self._get_visible_or_404(request, object_id)
        rows = [
            version_row(record, url=None, what="The page (review)")
            for record in page.history.select_related("history_user")[:MAX_ROWS]
        ]
        sections = (
            PolicySection.history.filter(page_id=page.pk)
            .select_related("history_user")
            .order_by("-history_date")[:MAX_ROWS]
        )
        for record in sections:
            rows.append(
                version_row(
                    record,
                    url=reverse(
                        "admin:knowledgebase_policysection_version",
                        args=[record.id, record.history_id],
                    ),
                    what=KIND_LABELS.get(record.kind, record.kind),
                    staff=record.visibility == Visibility.STAFF,
                )
            )
        rows.sort(key=lambda row: row["when"], reverse=True)
        context = history_context(
            self,
            request,
            page,
            title=f"History of the {page.library.name} policy page",
            crumb="History",
            object_url=reverse("admin:knowledgebase_policypage_change", args=[page.pk]),
            intro="Every change to the page's sections, and each review, newest "
            "first. Open a change to see the difference and to restore an "
            "earlier version of that section.",
            rows=rows[:MAX_ROWS],
            truncated=len(rows) > MAX_ROWS,
            show_what=True,
        )
        return TemplateResponse(request, template("versions"), context)
