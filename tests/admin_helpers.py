"""Helpers shared by the admin tests of every app."""


def form_errors(response) -> str:
    form = response.context["adminform"].form
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]
