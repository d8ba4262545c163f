"""What the ingest remembers of each Sparkplug edge node and device between messages and restarts."""

from __future__ import annotations

from django.db import models


class EdgeNode(models.Model):
    """An edge node (`device` empty) or one of its devices as its last BIRTH / DEATH left it: online, the
    node's birth/death sequence (bdSeq) that makes a stale NDEATH recognisable, and the alias -> metric name
    map from the BIRTH, kept here so DATA messages that carry only aliases resolve after an ingest restart."""

    group = models.CharField(max_length=255)
    edge_node = models.CharField(max_length=255)
    device = models.CharField(max_length=255, blank=True)
    online = models.BooleanField(default=False)
    bd_seq = models.BigIntegerField(null=True, blank=True)  # nodes only
    aliases = models.JSONField(default=dict, blank=True)  # str(alias) -> metric name
    birth_at = models.DateTimeField(null=True, blank=True)
    death_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "edge_node", "device"], name="sparkplug_edge_node_once")
        ]

    def __str__(self) -> str:
        path = "/".join(p for p in (self.group, self.edge_node, self.device) if p)
        return f"{path} {'online' if self.online else 'offline'}"
