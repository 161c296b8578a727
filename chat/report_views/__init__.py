"""`/reports/` (SPEC R1, R2): the statistics of `/api/v1/statistics/` as a
page a coordinator reads, with charts, accessible tables and CSV downloads.

Who sees what is the API's rule (`chat.privacy.visible_conversations`): the
help desk every library; a site coordinator what their library's patrons
asked, and what their librarians answered for other libraries. Everybody else
gets 403.

Every figure is counted by `chat.statistics.conversation_statistics` in SQL:
this module only lays its answers out as tables (`Table`), which are the page's
source of truth, the data of its charts (`json_script`, drawn by
static/chat/reports/main.js) and its CSV downloads (`?…&csv=<table>`). The
conversation-level records (`?…&csv=records`) are streamed row by row.
"""

from chat.report_views.downloads import RECORDS, excel_safe
from chat.report_views.tables import SOURCES, Table
from chat.report_views.views import reports

__all__ = ["RECORDS", "SOURCES", "Table", "excel_safe", "reports"]
