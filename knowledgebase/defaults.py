"""The consortium-wide canned messages every installation starts with,
from the seeds' practice (greeting with the library's name, updates every
few minutes, "Are you still there?", closing question, email follow-up,
inappropriate use, crisis). Coordinators add their library's own in the
admin; a library's message with the same key overrides the global one."""

CANNED_MESSAGES = [
    # key, group, title, body
    (
        "greeting",
        "greeting",
        "Greeting",
        "Hi {patron_name}, I'm {librarian_name}. Thanks for contacting "
        "{library_name}! Let me read your question.",
    ),
    (
        "coop_greeting",
        "coop_greeting",
        "Greeting (co-op)",
        "Hi {patron_name}, this is {librarian_name}. Libraries of the cooperative "
        "answer {library_name}'s chat together, and I'm glad to help. Let me read "
        "your question.",
    ),
    (
        "still_searching",
        "update",
        "Still searching",
        "Still searching… thank you for waiting.",
    ),
    (
        "pulling_book",
        "update",
        "Checking a source",
        "I'm checking another source now; I'll be back with you in about two minutes.",
    ),
    ("still_there", "idle", "Are you still there?", "Are you still there?"),
    (
        "idle_closing",
        "idle",
        "Closing an idle chat",
        "I haven't heard from you in a while, so I will close this chat now. Please "
        "come back any time you have a question!",
    ),
    (
        "offer_email",
        "followup",
        "Offer email follow-up",
        "This question deserves a closer look. May I follow up by email? If so, "
        "please type your email address.",
    ),
    (
        "forward_library",
        "followup",
        "Forward to the patron's library",
        "The staff at {library_name} know this best. May I forward your question to "
        "them? They will answer you by email.",
    ),
    (
        "anything_else",
        "closing",
        "Completely answered?",
        "Has this completely answered your question? Is there anything else I can "
        "help you with?",
    ),
    (
        "goodbye",
        "closing",
        "Goodbye",
        "Thank you for using {library_name}'s chat, {patron_name}. Come back any "
        "time! You can view, print or email this transcript after the chat ends.",
    ),
    (
        "hours",
        "hours",
        "Library hours",
        "You can find {library_name}'s hours here: {library_hours_url}",
    ),
    (
        "local_referral",
        "hours",
        "Refer to the local library",
        "For in-depth help with this, your local library is the best place to ask. "
        "{library_name}'s website is {library_url}.",
    ),
    (
        "no_purpose",
        "inappropriate",
        "Inappropriate – No Question/Purpose",
        "This service is for questions to a librarian. If you have a question, "
        "please type it now and I'll be glad to help. Otherwise I will end this chat.",
    ),
    (
        "bad_customer",
        "inappropriate",
        "Inappropriate – Bad Customer",
        "This conversation does not follow the service's acceptable use policy, so "
        "I am ending the chat now. You are welcome to come back with a library "
        "question.",
    ),
    (
        "ip_captured",
        "inappropriate",
        "Inappropriate – IP Captured",
        "This conversation violates the service's acceptable use policy. Your IP "
        "address has been recorded and this session has been reported. I am ending "
        "the chat now.",
    ),
    (
        "crisis",
        "crisis",
        "Crisis resources",
        "It sounds like you are going through something difficult, and you deserve "
        "help from people trained for it. Please reach out now: call or text 988 "
        "(Suicide & Crisis Lifeline, 24/7, https://988lifeline.org), text HOME to "
        "741741 (Crisis Text Line), or call 911 in an emergency. Thank you for "
        "contacting us; I am ending this chat so you can contact them.",
    ),
]
