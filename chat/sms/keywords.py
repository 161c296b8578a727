"""SMS keywords and the language of a text.

STOP, START and HELP are the carriers' and the CTIA's standard keywords
(Twilio's Advanced Opt-Out lists the same English words); the Spanish ones
are those US carriers honour for Spanish speakers. A keyword is the whole
text, in any case, with trailing punctuation and accents ignored: "Stop."
and "PARAR!" are keywords, "stop by the library?" is a question.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

STOP, START, HELP = "stop", "start", "help"

_WORDS = {
    STOP: {
        "en": {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"},
        "es": {"PARAR", "PARE", "ALTO", "DETENER", "CANCELAR", "BAJA"},
    },
    START: {
        # Not YES or SI: patrons answer a librarian's question with them.
        "en": {"START", "UNSTOP"},
        "es": {"COMENZAR", "INICIAR", "REANUDAR"},
    },
    HELP: {"en": {"HELP", "INFO"}, "es": {"AYUDA"}},
}

_ANSWERS = {
    (STOP, "en"): "{library}: you will get no more texts from this number. "
    "Text START to get them again.",
    (STOP, "es"): "{library}: no recibirá más mensajes de este número. "
    "Envíe COMENZAR para recibirlos de nuevo.",
    (START, "en"): "{library}: you will get texts from this number again. "
    "Text your question any time; STOP to opt out.",
    (START, "es"): "{library}: volverá a recibir mensajes de este número. "
    "Envíe su pregunta cuando quiera; PARAR para no recibir más.",
    (HELP, "en"): "{library} answers questions by text. Send your question and "
    "a librarian will reply. Text STOP to opt out.",
    (HELP, "es"): "{library} contesta preguntas por mensaje. Envíe su pregunta y "
    "un bibliotecario le responderá. Envíe PARAR para no recibir más.",
}


@dataclass(frozen=True)
class Keyword:
    action: str  # STOP, START or HELP
    lang: str  # "en" or "es"


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def keyword(body: str) -> Keyword | None:
    """The keyword `body` is, or None."""
    word = re.sub(r"[\s.!¡?¿,;:]+", "", _plain(body or "")).upper()
    if not word or len(word) > 12:
        return None
    for action, languages in _WORDS.items():
        for lang, words in languages.items():
            if word in words:
                return Keyword(action, lang)
    return None


def answer(found: Keyword, library_name: str) -> str:
    return _ANSWERS[(found.action, found.lang)].format(library=library_name)


# Words common in Spanish questions and rare in English ones.
_SPANISH = {
    "hola",
    "gracias",
    "por",
    "favor",
    "necesito",
    "quiero",
    "puedo",
    "tienen",
    "tiene",
    "donde",
    "cuando",
    "como",
    "que",
    "biblioteca",
    "libro",
    "libros",
    "para",
    "una",
    "los",
    "las",
    "del",
    "el",
    "mi",
    "es",
    "esta",
    "buenos",
    "buenas",
    "dias",
    "tardes",
    "ayuda",
    "sobre",
    "busco",
    "hay",
}
_ENGLISH = {
    "the",
    "is",
    "are",
    "do",
    "does",
    "you",
    "have",
    "i",
    "my",
    "what",
    "where",
    "when",
    "how",
    "can",
    "need",
    "book",
    "books",
    "library",
    "hello",
    "hi",
    "thanks",
    "please",
    "for",
    "and",
    "of",
    "to",
}


def language(body: str) -> str:
    """ "es" when the text reads as Spanish, else "en" (the after-hours
    reply's language)."""
    text = _plain(body or "").lower()
    if "¿" in (body or "") or "¡" in (body or "") or "ñ" in (body or "").lower():
        return "es"
    words = re.findall(r"[a-z]+", text)
    spanish = sum(word in _SPANISH for word in words)
    english = sum(word in _ENGLISH for word in words)
    return "es" if spanish > english else "en"
