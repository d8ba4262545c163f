"""What the UI keeps per person: the columns they chose for a list."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ListColumns(models.Model):
    """The columns a person shows on one list (`list_name` as registered in ui.columns), in display order."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    list_name = models.CharField(max_length=50)
    columns = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "list_name"], name="ui_list_columns_once")]

    def __str__(self) -> str:
        return f"{self.list_name} columns of {self.user_id}"
