import factory
from factory.django import DjangoModelFactory

from consortium.models import (
    Closure,
    Holiday,
    Library,
    PostedHours,
    Queue,
    Staff,
    Term,
    TermType,
)


class LibraryFactory(DjangoModelFactory):
    class Meta:
        model = Library
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"lib{n}")
    name = factory.LazyAttribute(lambda o: f"Library {o.code.upper()}")
    library_type = Library.Type.PUBLIC
    timezone = "America/New_York"
    website = factory.LazyAttribute(lambda o: f"https://{o.code}.example.org/")


class QueueFactory(DjangoModelFactory):
    class Meta:
        model = Queue

    library = factory.SubFactory(LibraryFactory)
    code = factory.LazyAttribute(lambda o: o.library.code)
    name = factory.LazyAttribute(lambda o: f"{o.library.name} chat")
    kind = Queue.Kind.LOCAL


class CoopQueueFactory(DjangoModelFactory):
    class Meta:
        model = Queue

    code = factory.Sequence(lambda n: f"coop-q{n}")
    name = factory.LazyAttribute(lambda o: o.code)
    kind = Queue.Kind.COOP
    library = None
    timezone = "America/New_York"


class StaffFactory(DjangoModelFactory):
    class Meta:
        model = Staff
        skip_postgeneration_save = True

    library = factory.SubFactory(LibraryFactory)
    username = factory.LazyAttributeSequence(
        lambda o, n: f"{o.library.code}-user{n}" if o.library else f"staff{n}"
    )
    first_name = "Pat"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    role = Staff.Role.LIBRARIAN
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CoordinatorFactory(StaffFactory):
    role = Staff.Role.COORDINATOR


class HelpdeskFactory(StaffFactory):
    library = None
    role = Staff.Role.HELPDESK


class HoursFactory(DjangoModelFactory):
    class Meta:
        model = PostedHours

    queue = factory.SubFactory(QueueFactory)
    term_type = TermType.SEMESTER
    weekday = 0
    opens = 9 * 60
    closes = 17 * 60


class TermFactory(DjangoModelFactory):
    class Meta:
        model = Term

    name = factory.Sequence(lambda n: f"Term {n}")
    term_type = TermType.SEMESTER
    library = None


class HolidayFactory(DjangoModelFactory):
    class Meta:
        model = Holiday

    name = "Holiday"


class ClosureFactory(DjangoModelFactory):
    class Meta:
        model = Closure

    library = factory.SubFactory(LibraryFactory)
    reason = "Closed"
