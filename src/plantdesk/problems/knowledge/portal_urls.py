"""The requesters' knowledge (mounted at /portal/knowledge/ in the UI namespace, before the portal)."""

from django.urls import path

from plantdesk.problems.knowledge import portal

urlpatterns = [
    path("", portal.portal_list, name="portal-knowledge"),
    path("<str:number>/", portal.portal_detail, name="portal-knowledge-detail"),
    path("<str:number>/solved/", portal.solved, name="portal-knowledge-solved"),
]
