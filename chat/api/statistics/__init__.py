"""`/api/v1/statistics/` (SPEC R2, A2): the help desk's figures of a period,
by library, channel or time, and `/api/v1/statistics/balance/`, the co-op's
give and take per library. Counted over the conversations the user reads
in the admin and `conversations/` (`chat.privacy`): the help desk every
library; a site coordinator their own library's, plus those their librarians
answered for other libraries (the co-op "give" of `by=answering_library`);
nobody else anything."""

from chat.api.statistics.params import (
    PeriodQuerySerializer,
    StatisticsQuerySerializer,
)
from chat.api.statistics.serializers import (
    BalanceLibrarySerializer,
    BalanceSerializer,
    FiguresSerializer,
    StatisticsGroupSerializer,
    StatisticsSerializer,
)
from chat.api.statistics.views import StatisticsViewSet

__all__ = [
    "BalanceLibrarySerializer",
    "BalanceSerializer",
    "FiguresSerializer",
    "PeriodQuerySerializer",
    "StatisticsGroupSerializer",
    "StatisticsQuerySerializer",
    "StatisticsSerializer",
    "StatisticsViewSet",
]
