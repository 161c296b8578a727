from django.apps import AppConfig


class KnowledgebaseConfig(AppConfig):
    """Policy pages, FAQs and canned messages (issue 7)."""

    name = "knowledgebase"
    verbose_name = "Knowledge base"
