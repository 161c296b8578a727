"""Admin of the knowledge base (SPEC K1, K2, K4-K6, C8). Site coordinators
edit their own library's policy page, FAQs and canned messages; the help desk
everything, including the consortium-wide canned messages (read-only for
coordinators) and the review reminders. Every write goes through
`knowledgebase.services`; a refusal comes back on the form with nothing
saved; each entry's "History" shows its versions with a diff and restore
(`knowledgebase.admin.versions`)."""

from knowledgebase.admin import entries, pages, sections  # noqa: F401
