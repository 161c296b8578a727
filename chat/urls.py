from django.urls import path

from chat import report_views, ticket_views, views
from chat.mail import webhook

urlpatterns = [
    path("chat/<slug:code>/", views.chat_page, name="chat-page"),
    path("widget/demo/<slug:code>/", views.demo_site, name="widget-demo"),
    path("chat/<slug:code>/start", views.chat_start, name="chat-start"),
    path("chat/<slug:code>/offline", views.chat_offline, name="chat-offline"),
    path("chat/c/<str:token>/state", views.patron_state, name="chat-patron-state"),
    path(
        "chat/c/<str:token>/messages",
        views.patron_messages,
        name="chat-patron-messages",
    ),
    path(
        "chat/c/<str:token>/files", views.patron_file_upload, name="chat-patron-upload"
    ),
    path(
        "chat/c/<str:token>/files/<int:attachment_id>",
        views.patron_file,
        name="chat-patron-file",
    ),
    path("chat/c/<str:token>/end", views.patron_end, name="chat-patron-end"),
    path("chat/c/<str:token>/rating", views.patron_rating, name="chat-patron-rating"),
    path("chat/transcript/<str:token>/", views.transcript, name="chat-transcript"),
    path(
        "chat/transcript/<str:token>/email",
        views.transcript_email,
        name="chat-transcript-email",
    ),
    path("desk/", views.desk, name="desk"),
    path("reports/", report_views.reports, name="reports"),
    path("desk/tickets/", ticket_views.ticket_list, name="desk-tickets"),
    path(
        "desk/api/tickets/summary",
        views.desk_tickets_summary,
        name="desk-tickets-summary",
    ),
    path(
        "desk/tickets/<int:ticket_id>/", ticket_views.ticket_detail, name="desk-ticket"
    ),
    path(
        "desk/tickets/<int:ticket_id>/<slug:action>",
        ticket_views.ticket_action,
        name="desk-ticket-action",
    ),
    path(
        "desk/tickets/<int:ticket_id>/files/<int:attachment_id>",
        ticket_views.ticket_file,
        name="desk-ticket-file",
    ),
    path(
        "desk/conversations/<int:conversation_id>/to-ticket",
        ticket_views.sms_to_ticket,
        name="desk-sms-to-ticket",
    ),
    path("anymail/mailgun/inbound/", webhook.mailgun_inbound, name="mailgun-inbound"),
    path("desk/api/on-duty", views.desk_on_duty, name="desk-on-duty"),
    path("desk/api/backup", views.desk_backup, name="desk-backup"),
    path(
        "desk/api/conversations/<int:conversation_id>",
        views.desk_detail,
        name="desk-detail",
    ),
    path(
        "desk/api/conversations/<int:conversation_id>/transfer",
        views.desk_transfer,
        name="desk-transfer",
    ),
    path(
        "desk/api/conversations/<int:conversation_id>/end",
        views.desk_end,
        name="desk-end",
    ),
    path(
        "desk/api/conversations/<int:conversation_id>/wrapup",
        views.desk_wrapup,
        name="desk-wrapup",
    ),
    path(
        "desk/api/conversations/<int:conversation_id>/files",
        views.desk_file_upload,
        name="desk-upload",
    ),
    path(
        "desk/api/conversations/<int:conversation_id>/files/<int:attachment_id>",
        views.desk_file,
        name="desk-file",
    ),
    path(
        "desk/api/conversations/<int:conversation_id>/canned",
        views.desk_canned,
        name="desk-canned",
    ),
    path(
        "desk/api/conversations/<int:conversation_id>/inappropriate",
        views.desk_inappropriate,
        name="desk-inappropriate",
    ),
    path(
        "desk/api/conversations/<int:conversation_id>/crisis",
        views.desk_crisis,
        name="desk-crisis",
    ),
    path(
        "desk/api/conversations/<int:conversation_id>/block",
        views.desk_block,
        name="desk-block",
    ),
]
