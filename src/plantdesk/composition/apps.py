from django.apps import AppConfig


class CompositionConfig(AppConfig):
    """The composition root: the one app that imports every other (API routers, the worker's steps, the demo
    plant, the simulator, `serve`). Nothing imports it but the project's URLs and the console script."""

    name = "plantdesk.composition"
    label = "composition"
    verbose_name = "PlantDesk composition root"
