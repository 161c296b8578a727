"""The knowledge base's resources on `/api/v1/` (registered by
`consortium.api.urls`)."""

from knowledgebase.api import views

ROUTES = [
    ("policy-pages", views.PolicyPageViewSet, "kb-policy-page"),
    ("policy-sections", views.PolicySectionViewSet, "kb-policy-section"),
    ("faqs", views.FaqViewSet, "kb-faq"),
    ("canned-messages", views.CannedMessageViewSet, "kb-canned-message"),
    ("kb-search", views.KbSearchViewSet, "kb-search"),
]
