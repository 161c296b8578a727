"""Every write of the chat app. Consumers, views, the admin and tasks all
call these; see each module for the locks and side effects."""

from chat.services.conversations import (
    MAX_MESSAGE_CHARS,
    NobodyOnline,
    PatronBlocked,
    check_not_blocked,
    conversation_accept,
    conversation_end,
    conversation_patron_seen,
    conversation_start,
    conversation_transfer,
    conversations_abandon_sweep,
    hash_ip,
    message_post,
)
from chat.services.files import MAX_FILE_BYTES, attachment_post, read_upload
from chat.services.safety import (
    backup_call_create,
    canned_by_key,
    canned_for,
    canned_render,
    conversation_crisis,
    conversation_inappropriate,
    patron_block,
    remember_patron_ip,
    unknown_placeholders,
)
from chat.services.timers import timers_fire
from chat.services.wrapup import conversation_wrap_up, offline_question_create
from consortium.services import DomainError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_MESSAGE_CHARS",
    "DomainError",
    "NobodyOnline",
    "PatronBlocked",
    "attachment_post",
    "backup_call_create",
    "canned_by_key",
    "canned_for",
    "canned_render",
    "check_not_blocked",
    "conversation_accept",
    "conversation_crisis",
    "conversation_end",
    "conversation_inappropriate",
    "conversation_patron_seen",
    "conversation_start",
    "conversation_transfer",
    "conversation_wrap_up",
    "conversations_abandon_sweep",
    "hash_ip",
    "message_post",
    "offline_question_create",
    "patron_block",
    "read_upload",
    "remember_patron_ip",
    "timers_fire",
    "unknown_placeholders",
]
