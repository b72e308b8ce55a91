"""Saved and tracked queries (SPEC §3).  Changed only through ``clawback.explorer.actions``."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q, QuerySet

from clawback.explorer.catalog import DEFAULT_VIEW, VIEWS

VIEW_CHOICES = [(view.key, view.label) for view in VIEWS.values()]


class SavedQueryQuerySet(QuerySet["SavedQuery"]):
    def visible_to(self, user: object) -> SavedQueryQuerySet:
        """The user's own saved queries and those others shared."""
        return self.filter(Q(owner=user) | Q(shared=True))


class SavedQuery(models.Model):
    """A query an analyst keeps, with the view it runs in; shared ones are listed for everyone
    with the View role (read-only: only the owner changes or deletes it)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_queries")
    name = models.CharField(max_length=200)
    query = models.TextField(blank=True)
    view = models.CharField(max_length=16, choices=VIEW_CHOICES, default=DEFAULT_VIEW)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedQueryQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_query_unique_name")]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class TrackedQueryQuerySet(QuerySet["TrackedQuery"]):
    def with_latest_run(self) -> TrackedQueryQuerySet:
        """Each query's newest run prefetched as ``latest_runs`` (a list of at most one), so a
        page of queries costs one query more, not one per row."""
        newest = TrackedQueryRun.objects.order_by("-ran_at", "-id")[:1]
        return self.prefetch_related(Prefetch("runs", newest, to_attr="latest_runs"))


class TrackedQuery(models.Model):
    """A query run in the background every ``interval_minutes``; each run leaves a
    :class:`TrackedQueryRun` (how many copies match, how many are new since the last run)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_queries")
    name = models.CharField(max_length=200)
    query = models.TextField(blank=True)
    view = models.CharField(max_length=16, choices=VIEW_CHOICES, default=DEFAULT_VIEW)
    interval_minutes = models.PositiveIntegerField(default=60)
    created_at = models.DateTimeField(auto_now_add=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    # When the next run is due; the scheduler claims due rows by moving this forward.
    next_run_at = models.DateTimeField(db_index=True)

    objects = TrackedQueryQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="tracked_query_unique_name")]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.interval_minutes)


class TrackedQueryRun(models.Model):
    # Indexed by tracked_run_latest below.
    tracked = models.ForeignKey(TrackedQuery, on_delete=models.CASCADE, related_name="runs", db_index=False)
    ran_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    # Copies indexed since the previous run (ids above its high-water mark) that match.
    new_count = models.PositiveIntegerField(default=0)
    # The highest copy id in the index when the run started: the next run's "new" starts above.
    max_copy_id = models.BigIntegerField(default=0)
    # Ids of the newest matching copies, newest first (a sample for the tracker page).
    sample_ids = models.JSONField(default=list, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # why the run could not be made (the query stays tracked)

    class Meta:
        ordering = ["-ran_at", "-id"]
        indexes = [models.Index(fields=["tracked", "-ran_at"], name="tracked_run_latest")]

    def __str__(self) -> str:
        return f"{self.tracked} at {self.ran_at}: {self.count}"


class ExplorerPreference(models.Model):
    """How one analyst likes the results table: which columns, in which order (see
    ``clawback.explorer.prefs``).  Cosmetic, so not audited."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="explorer_preference")
    columns = models.JSONField(default=list, blank=True)  # column keys of prefs.COLUMNS
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {', '.join(self.columns)}"
