"""Addresses of the knowledge base, included at the site's root: the public
pages under each library's address, the desk's JSON under `desk/kb/`."""

from django.urls import path

from knowledgebase import views

urlpatterns = [
    path("libraries/<slug:code>/policies/", views.policies, name="kb-policies"),
    path("libraries/<slug:code>/faq/", views.faqs, name="kb-faqs"),
    path("libraries/<slug:code>/faq/<slug:slug>/", views.faq, name="kb-faq"),
    path("desk/kb/search", views.desk_search, name="kb-desk-search"),
    path("desk/kb/suggest", views.desk_suggest, name="kb-desk-suggest"),
    path("desk/kb/libraries", views.desk_libraries, name="kb-desk-libraries"),
]
