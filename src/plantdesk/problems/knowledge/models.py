"""Knowledge articles, their versions, the CIs they are about, and the deflections they earned.

An article's text lives in versions. `latest` is the version being worked on (its state is the article's
`state`); `published` is what readers see, kept while a newer draft is written and reviewed. Nothing is
deleted: an article is retired."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from plantdesk.problems.knowledge.choices import Audience, State

RECORD_TYPE = "knowledge_article"
NUMBER_PREFIX = "KB"


class Article(models.Model):
    number = models.CharField(max_length=16, unique=True)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    version = models.PositiveIntegerField(default=1)  # the latest version's number
    latest = models.ForeignKey("ArticleVersion", null=True, on_delete=models.PROTECT, related_name="+")
    published = models.ForeignKey("ArticleVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    problem = models.ForeignKey(
        "problems.Problem", null=True, blank=True, on_delete=models.PROTECT, related_name="articles"
    )
    cis = models.ManyToManyField("cmdb.ConfigurationItem", through="ArticleCI", related_name="articles")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["audience", "state"], name="kb_audience_state_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_label(self) -> str:
        return self.number


class ArticleVersion(models.Model):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=50000)
    body_html = models.TextField()  # rendered and sanitised when written (markdown.render)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # Which readers search this version (queries.mark_readers keeps them): agents the article's latest,
    # requesters the published version of a public article that is not retired. Search then filters on
    # columns of the searched row, not on a join of every candidate to its article.
    shown_to_agents = models.BooleanField(default=False)
    shown_to_requesters = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="kb_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"


class ArticleCI(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "ci"], name="kb_article_ci_unique")]
        indexes = [models.Index(fields=["ci", "article"], name="kb_article_ci_idx")]

    def __str__(self) -> str:
        return f"{self.article_id} is about {self.ci_id}"


class Deflection(models.Model):
    """A requester said an article solved their problem: an incident that was not raised."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="deflections")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["article", "user", "at"], name="kb_deflection_idx")]

    def __str__(self) -> str:
        return f"{self.article_id} helped {self.user_id}"
