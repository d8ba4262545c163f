from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CmdbConfig(AppConfig):
    name = "plantdesk.cmdb"
    label = "cmdb"
    verbose_name = "Configuration management"

    def ready(self) -> None:
        from plantdesk.cmdb import queries, registrations  # queries registers the permission scope
        from plantdesk.cmdb.models import CIClass, RelationshipType
        from plantdesk.cmdb.sqlite_triggers import restore_graph_triggers
        from plantdesk.core.config_cache import clear_on_change

        del queries
        clear_on_change(CIClass, RelationshipType)
        post_migrate.connect(restore_graph_triggers, sender=self)
        registrations.register()
