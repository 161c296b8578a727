"""REST resources of conversations and email tickets (SPEC A2): read as the
admin reads them (`chat.privacy` decides whose personal data shows), worked
through the same services as the desk's ticket page."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Case, Value, When
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from chat import privacy, services, statistics
from chat.api import serializers as s
from chat.models import Conversation, Message, Ticket
from chat.services.tickets import helpdesk_inbox, overdue_q
from consortium.api.generics import ScopedReadViewSet, action_doc, library_filter

# --- Conversations and transcripts ----------------------------------------------------


class ConversationFilter(django_filters.FilterSet):
    library = library_filter("library__code")
    answering_library = library_filter("librarian__library__code")
    librarian = django_filters.CharFilter(
        field_name="librarian__username", label="Username of the answering librarian."
    )
    queue = django_filters.CharFilter(field_name="queue__code", label="Queue code.")
    has_ticket = django_filters.BooleanFilter(
        field_name="ticket",
        lookup_expr="isnull",
        exclude=True,
        label="true: continued as an email ticket.",
    )

    class Meta:
        model = Conversation
        fields = [
            "library",
            "answering_library",
            "librarian",
            "queue",
            "channel",
            "status",
            "resolution",
            "question_type",
            "patron_status",
            "resident",
            "has_ticket",
        ]


def _from_day(queryset, name, day):
    return queryset.filter(requested_at__gte=_midnight(day, "from"))


def _to_day(queryset, name, day):
    return queryset.filter(requested_at__lt=_midnight(day, "to") + timedelta(days=1))


def _midnight(day, param):
    """The instant `day` begins in the consortium's time zone (a bound the
    `requested_at` index serves, unlike a `__date` lookup)."""
    if not 1900 <= day.year <= 9998:
        raise ValidationError({param: "Give a date in the years 1900 to 9998."})
    return statistics.local_midnight(day, statistics.consortium_zone())


# `from` and `to`: the request's date in the consortium's time zone.
ConversationFilter.base_filters["from"] = django_filters.DateFilter(
    method=_from_day, label="First day (YYYY-MM-DD)."
)
ConversationFilter.base_filters["to"] = django_filters.DateFilter(
    method=_to_day, label="Last day (YYYY-MM-DD)."
)


@extend_schema_view(
    list=extend_schema(
        tags=["conversations"],
        summary="List conversations",
        description="Every channel. Coordinators: their library's, and (without "
        "personal data) those their librarians answered for other libraries.",
    ),
    retrieve=extend_schema(tags=["conversations"], summary="Read a conversation"),
)
class ConversationViewSet(ScopedReadViewSet):
    """Conversations on every channel, with their analytics record (SPEC R1).
    Changed only by the desk; read here."""

    queryset = Conversation.objects.select_related(
        "library", "queue", "librarian__library", "ticket", "rating"
    )
    serializer_class = s.ConversationSerializer
    filterset_class = ConversationFilter
    search_fields = ["question", "patron_name", "patron_email"]
    ordering_fields = ["requested_at", "accepted_at", "ended_at"]
    ordering = ["-requested_at", "-pk"]

    def get_queryset(self):
        return privacy.visible_conversations(self.request.user, self.queryset.all())

    def filter_queryset(self, queryset):
        if self.request.query_params.get("search"):
            # Searching must not reveal what other libraries' patrons asked.
            queryset = queryset.filter(personal_data=True)
        return super().filter_queryset(queryset)

    @extend_schema(
        tags=["conversations"],
        summary="Read a conversation's transcript",
        description="Every message in order, internal notes included. Without "
        "personal data (`personal_data` false), email addresses, long numbers "
        "and the patron's name are redacted.",
        responses=s.TranscriptSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def transcript(self, request, pk=None):
        conversation = self.get_object()
        return Response(_thread(conversation, conversation.personal_data))


def _thread(conversation: Conversation, personal_data: bool) -> dict:
    messages = (
        Message.objects.filter(conversation=conversation)
        .select_related("author__library")
        .prefetch_related("attachments")
        .order_by("seq")
    )
    context = {"personal_data": personal_data, "conversation": conversation}
    return {
        "conversation": conversation.pk,
        "personal_data": personal_data,
        "rating": s.rating_data(conversation, personal_data),
        "messages": s.MessageSerializer(messages, many=True, context=context).data,
    }


# --- Tickets ------------------------------------------------------------------------


class TicketFilter(django_filters.FilterSet):
    library = library_filter("library__code")
    assignee = django_filters.CharFilter(
        field_name="assignee__username", label="Username of the claimant."
    )
    overdue = django_filters.BooleanFilter(
        field_name="overdue",  # annotated by the viewset
        label="true: open or claimed, unanswered, past the first-response deadline.",
    )
    helpdesk_inbox = django_filters.BooleanFilter(
        method="filter_helpdesk_inbox",
        label="true: the help desk's inbox (forwarded from closed libraries, "
        "or escalated unanswered).",
    )

    class Meta:
        model = Ticket
        fields = [
            "library",
            "status",
            "source",
            "assignee",
            "overdue",
            "helpdesk_inbox",
            "forwarded_to_helpdesk",
        ]

    def filter_helpdesk_inbox(self, queryset, name, value):
        inbox = helpdesk_inbox(queryset)
        return inbox if value else queryset.exclude(pk__in=inbox.values("pk"))


def _with_overdue(tickets):
    """`tickets` annotated `overdue` (`chat.services.tickets.overdue_q`)."""
    return tickets.annotate(
        overdue=Case(
            When(overdue_q(timezone.now()), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


TAG = "tickets"


def _ticket_action(summary, request=None, description=""):
    return action_doc(TAG, summary, request, s.TicketSerializer, description)


@extend_schema_view(
    list=extend_schema(
        tags=[TAG],
        summary="List email tickets",
        description="Coordinators: their library's inbox. Most urgent first.",
    ),
    retrieve=extend_schema(tags=[TAG], summary="Read an email ticket"),
)
class TicketViewSet(ScopedReadViewSet):
    """Email tickets (SPEC T1-T6), worked with the desk's services: claim,
    unclaim, reply (emailed to the patron), note, transfer (a note is
    required), close, reopen."""

    queryset = Ticket.objects.select_related("conversation", "library", "assignee")
    serializer_class = s.TicketSerializer
    filterset_class = TicketFilter
    search_fields = ["subject", "email", "conversation__question"]
    ordering_fields = ["due_at", "created_at"]
    ordering = ["due_at", "pk"]
    # The admin lets whoever reads a ticket act on it; the services decide
    # (a ticket is worked only from its library's inbox, or by the help desk).
    action_needs = dict.fromkeys(
        ("claim", "unclaim", "reply", "note", "transfer", "close", "reopen"), "view"
    )

    def get_queryset(self):
        return _with_overdue(super().get_queryset())

    def _act(self, service, body=None):
        """Look the ticket up (out of scope: 404, whatever the body), read
        the action's `body` serializer if any, and run the desk's `service`
        with it in one transaction; answer with the ticket as it is now (even
        if it left the caller's inbox)."""
        ticket = self.get_object()
        data = {}
        if body is not None:
            serializer = body(data=self.request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        with transaction.atomic():
            service(ticket_id=ticket.pk, actor=self.request.user, **data)
        ticket = _with_overdue(self.queryset).get(pk=ticket.pk)
        return Response(self.get_serializer(ticket).data)

    @extend_schema(
        tags=[TAG],
        summary="Read a ticket's thread",
        description="The whole conversation: the question, chat messages if it "
        "began as a chat, emails both ways and internal notes.",
        responses=s.TranscriptSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def messages(self, request, pk=None):
        ticket = self.get_object()
        return Response(_thread(ticket.conversation, personal_data=True))

    @_ticket_action(
        "Claim a ticket", description="Only claim a ticket you intend to answer."
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self._act(services.ticket_claim)

    @_ticket_action(
        "Unclaim a ticket",
        description="Back to the inbox: the claimant, the library's coordinator "
        "or the help desk.",
    )
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        return self._act(services.ticket_unclaim)

    @_ticket_action(
        "Reply to the patron",
        s.BodySerializer,
        "Emailed to the patron from the library's ticket address (after "
        "commit). Claims the ticket if nobody has; it then waits on the patron.",
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        return self._act(services.ticket_reply, s.BodySerializer)

    @_ticket_action(
        "Add an internal note", s.BodySerializer, "Staff only; never emailed."
    )
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        return self._act(services.ticket_note, s.BodySerializer)

    @_ticket_action(
        "Transfer to another library",
        s.TransferSerializer,
        "Into another member library's inbox, unclaimed, with a note saying why.",
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        return self._act(services.ticket_transfer, s.TransferSerializer)

    @_ticket_action("Close a ticket", description="A reply from the patron reopens it.")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._act(services.ticket_close)

    @_ticket_action(
        "Reopen a ticket", description="With a fresh first-response deadline."
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._act(services.ticket_reopen)
