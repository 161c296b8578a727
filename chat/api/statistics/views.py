"""The statistics endpoints: `list` (`/api/v1/statistics/`) and `balance`
(`/api/v1/statistics/balance/`)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from chat import privacy, statistics
from chat.api.statistics.params import PeriodQuerySerializer, StatisticsQuerySerializer
from chat.api.statistics.serializers import BalanceSerializer, StatisticsSerializer
from chat.models import Conversation
from consortium import scoping
from consortium.api.base import ErrorSerializer
from consortium.api.permissions import AdminRolePermission
from consortium.api.schema import ApiSchema
from consortium.models import Library
from consortium.sql import without_jit

# --- The endpoint -------------------------------------------------------------------


class OneObjectSchema(ApiSchema):
    """drf-spectacular takes a `list` action to answer an array; this one
    answers one object."""

    def _is_list_view(self, serializer=None):
        return False


BAD_PARAMETERS = OpenApiResponse(
    ErrorSerializer,
    description="Bad parameters: a malformed date or month, `from` after "
    "`to`, a period over two years, an unknown grouping, or a library or "
    "queue that does not exist or is outside your scope, an unknown channel.",
)


class StatisticsViewSet(viewsets.GenericViewSet):
    """Figures of the conversations asked in a period."""

    queryset = Conversation.objects.all()  # whose admin answers permissions
    permission_classes = [permissions.IsAuthenticated, AdminRolePermission]
    serializer_class = StatisticsSerializer
    pagination_class = None
    filter_backends: list = []
    schema = OneObjectSchema()

    def _params(self, serializer_class) -> dict:
        params = serializer_class(
            data=self.request.query_params, context=self.get_serializer_context()
        )
        params.is_valid(raise_exception=True)
        return params.validated_data

    def _echo(self, params: dict) -> dict:
        """The period and the narrowing asked for, as the answer states them."""
        period, library, queue = (
            params["period"],
            params.get("library"),
            params.get("queue"),
        )
        return {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "time_zone": period.zone.key,
            "library": library.code if library else None,
            "queue": queue.code if queue else None,
            "channel": params.get("channel"),
        }

    @extend_schema(
        tags=["statistics"],
        summary="Statistics of a period",
        description="Volumes, waits, missed chats, tickets and their deadline, "
        "SMS answers, resolutions, question types, READ scale, patron status, "
        "residency and ratings of the conversations asked in a period (days in "
        "the consortium's time zone), in total and by library, channel or time; "
        "`queue` and `channel` narrow them. A coordinator counts their own "
        "library's conversations and those their librarians answered for other "
        "libraries; `library=<their code>` narrows to their own.",
        parameters=[StatisticsQuerySerializer],
        responses={200: StatisticsSerializer, 400: BAD_PARAMETERS},
    )
    def list(self, request):
        params = self._params(StatisticsQuerySerializer)
        library = params.get("library")
        conversations = privacy.visible_conversations(request.user, self.get_queryset())
        if library is not None:
            conversations = conversations.filter(library=library)
            libraries = Library.objects.filter(pk=library.pk)
        else:
            libraries = scoping.visible(Library.objects.active(), request.user)
        with without_jit():
            figures = statistics.conversation_statistics(
                conversations,
                period=params["period"],
                by=params["by"],
                libraries=libraries,
                queue=params.get("queue"),
                channel=params.get("channel"),
            )
        # Already in the shape `StatisticsSerializer` documents (a test holds
        # them equal): rendering up to 168 groups of 60 figures through it
        # would cost more than counting them.
        echo = self._echo(params)
        return Response(
            {
                "from": echo.pop("from"),
                "to": echo.pop("to"),
                "time_zone": echo.pop("time_zone"),
                "by": params["by"],
                **echo,
                **figures,
            }
        )

    @extend_schema(
        tags=["statistics"],
        summary="Co-op give and take of a period",
        description="Per library: its patrons' conversations asked in the "
        "period, answered by its own librarians, taken by other libraries or "
        "the help desk, or unanswered; the other libraries' conversations its "
        "librarians answered; and the hours its librarians were scheduled on "
        "co-op queues. A coordinator sees their own library's line, complete "
        "(what their librarians answered for others included). `library` "
        "narrows the lines, not what is counted in them; `queue` and `channel` "
        "narrow the conversations.",
        parameters=[PeriodQuerySerializer],
        responses={200: BalanceSerializer, 400: BAD_PARAMETERS},
    )
    @action(detail=False, methods=["get"], url_path="balance")
    def balance(self, request):
        params = self._params(PeriodQuerySerializer)
        library = params.get("library")
        libraries = scoping.visible(Library.objects.active(), request.user)
        if library is not None:
            libraries = Library.objects.filter(pk=library.pk)
        with without_jit():
            groups = statistics.coop_balance(
                privacy.visible_conversations(request.user, self.get_queryset()),
                period=params["period"],
                libraries=libraries,
                queue=params.get("queue"),
                channel=params.get("channel"),
            )
        return Response({**self._echo(params), "groups": groups})
