from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ConsortiumConfig(AppConfig):
    name = "consortium"
    verbose_name = "Consortium"

    def ready(self):
        from consortium import audit, sql

        audit.register_models()
        connection_created.connect(
            sql.register_sqlite_functions, dispatch_uid="asktogether-sqlite-sql"
        )
