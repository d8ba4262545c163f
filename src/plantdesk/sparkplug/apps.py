from __future__ import annotations

from django.apps import AppConfig


class SparkplugConfig(AppConfig):
    name = "plantdesk.sparkplug"
    label = "sparkplug"
    verbose_name = "Sparkplug B"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from plantdesk.events import channels
        from plantdesk.events.mqtt import native
        from plantdesk.events.mqtt.translators import register_translator
        from plantdesk.sparkplug import translate

        # Replaying dead letters: Sparkplug decodes the kept protobuf again; MQTT may have kept an envelope
        # (topic + bytes) where the message was not JSON. Registered here, the app that MQTT ingest adds.
        channels.register("sparkplug", translate.renormalise)
        channels.register(native.CHANNEL, native.renormalise)
        register_translator("spBv1.0/", "sparkplug", translate.Translator)
