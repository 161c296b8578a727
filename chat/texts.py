"""System messages of a chat, in the patron's language (the widget speaks
English and Spanish, SPEC X6). Stored as text, so the transcript and the
desk show what the patron saw."""

SYSTEM_TEXTS = {
    "joined": {
        "en": "{name} joined the chat.",
        "es": "{name} se unió al chat.",
    },
    "left_before_pickup": {
        "en": "The patron left before a librarian joined.",
        "es": "El usuario se fue antes de que llegara un bibliotecario.",
    },
    "patron_ended": {
        "en": "The patron ended the chat.",
        "es": "El usuario terminó el chat.",
    },
    "librarian_ended": {
        "en": "{name} ended the chat.",
        "es": "{name} terminó el chat.",
    },
    "transferred": {
        "en": "{name} transferred the chat to {destination}. Please wait a moment.",
        "es": "{name} transfirió el chat a {destination}. Espere un momento, por "
        "favor.",
    },
}


def system_text(key: str, lang: str, **values) -> str:
    texts = SYSTEM_TEXTS[key]
    return texts.get(lang, texts["en"]).format(**values)


TRANSCRIPT_LABELS = {
    "en": {
        "title": "Your chat with",
        "answered_by": "answered by",
        "print": "Print",
        "download": "Download as text",
        "you": "You",
        "messages": "Messages",
        "valid_until": "This link works until",
        "ask_again": "Ask another question",
    },
    "es": {
        "title": "Su chat con",
        "answered_by": "atendido por",
        "print": "Imprimir",
        "download": "Descargar como texto",
        "you": "Usted",
        "messages": "Mensajes",
        "valid_until": "Este enlace funciona hasta el",
        "ask_again": "Hacer otra pregunta",
    },
}
