"""Conversations, tickets and statistics, registered under `/api/v1/` by
`consortium.api.urls`."""

from chat.api import statistics, views

ROUTES = [
    ("conversations", views.ConversationViewSet, "conversation"),
    ("tickets", views.TicketViewSet, "ticket"),
    ("statistics", statistics.StatisticsViewSet, "statistics"),
]
