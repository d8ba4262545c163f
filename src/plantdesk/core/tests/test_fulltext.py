"""Ranked full-text search on both engines: what the index finds, in which order, and that no user text
is ever a syntax error."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import connection, models

from plantdesk.core import fulltext

TABLE = "core_fulltext_probe"


class Note(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        app_label = "core"
        managed = False
        db_table = TABLE

    def __str__(self) -> str:
        return self.title


fulltext.register_index(Note, {"title": "A", "body": "B"})


class _Editor:
    """What the migration operation uses of a schema editor (a real one refuses to run inside the test's
    transaction on SQLite)."""

    connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.fixture
def notes(db: Any) -> Any:
    key = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY AUTOINCREMENT"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (id {key}, title varchar(200) NOT NULL, body text NOT NULL)")
    for operation in fulltext.fulltext_index_operations(TABLE, {"title": "A", "body": "B"}):
        operation.code(None, _Editor())

    def add(title: str, body: str = "") -> int:
        return Note.objects.create(title=title, body=body).pk

    return add


def test_a_title_match_ranks_above_a_body_match(notes: Any) -> None:
    in_body = notes("MES login slow", "Restart the label printer spooler")
    in_title = notes("Label printer BER-L3 prints blank labels", "Check the ribbon")
    notes("LIMS export fails", "The export job times out")
    assert fulltext.ranked_ids(Note, "label printer", limit=10) == [in_title, in_body]


def test_other_word_forms_match(notes: Any) -> None:
    printer = notes("Label printer offline")
    assert fulltext.ranked_ids(Note, "printers", limit=10) == [printer]
    assert fulltext.ranked_ids(Note, "labels offline", limit=10) == [printer]


def test_the_word_being_typed_matches_as_a_prefix(notes: Any) -> None:
    label = notes("Label printer offline")
    assert fulltext.ranked_ids(Note, "printer lab", limit=10) == [label]
    assert fulltext.ranked_ids(Note, "printer lab ", limit=10) == []  # the word is finished: whole words only
    assert fulltext.ranked_ids(Note, "printer lab", limit=10, prefix=False) == []


def test_a_plant_name_is_found_whole_and_by_its_parts(notes: Any) -> None:
    line = notes("BER-L3 label printer jams")
    notes("BER-L4 conveyor stops")
    assert fulltext.ranked_ids(Note, "BER-L3", limit=10) == [line]
    assert fulltext.ranked_ids(Note, "L3 printer", limit=10) == [line]


def test_every_word_is_required(notes: Any) -> None:
    notes("Label printer offline")
    assert fulltext.ranked_ids(Note, "printer historian", limit=10, prefix=False) == []


def test_any_word_finds_rows_sharing_some_words_most_shared_first(notes: Any) -> None:
    """A whole sentence (an incident's short description) as the question: the rows that share more of
    its words rank higher; rows sharing none stay out."""
    both = notes("Label printer offline after restart")
    one = notes("Printer queue stuck")
    notes("Historian buffer full")
    sentence = "Label printer on line 3 offline"
    assert fulltext.ranked_ids(Note, sentence, limit=10) == []  # every word required
    assert fulltext.ranked_ids(Note, sentence, limit=10, any_word=True) == [both, one]


def test_within_limits_the_search_to_a_queryset(notes: Any) -> None:
    first = notes("Label printer offline")
    second = notes("Label printer jams")
    assert fulltext.ranked_ids(Note, "printer", limit=10, within=Note.objects.filter(pk=first)) == [first]
    assert fulltext.ranked_ids(Note, "printer", limit=10, within=Note.objects.none()) == []
    assert set(fulltext.ranked_ids(Note, "printer", limit=10, within=Note.objects.all())) == {first, second}


def test_limit_and_scores(notes: Any) -> None:
    for n in range(5):
        notes(f"Printer {n}", "printer " * n)
    hits = fulltext.ranked(Note, "printer", limit=3)
    assert len(hits) == 3
    assert all(hit.score > 0 for hit in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_only_the_newest_candidates_are_ranked(notes: Any) -> None:
    old = notes("printer printer printer", "printer printer")
    newer = [notes("printer", "offline") for _ in range(3)]
    hits = fulltext.ranked(Note, "printer", limit=3, candidates=3)
    assert {h.id for h in hits} == set(newer)  # the best-matching old row is past the candidates
    assert old in fulltext.ranked_ids(Note, "printer", limit=10)


def test_matches_are_collected_across_id_ranges(notes: Any) -> None:
    """On PostgreSQL the newest matches are collected range of ids by range (the newest range read row by
    row, older ones through the index): matches far apart, and few among many rows, are all found."""
    oldest = notes("Historian gap", "tags missing")
    for n in range(60):
        notes(f"Label printer {n}")
    middle = notes("Historian gap on line 3")
    for n in range(60):
        notes(f"Label printer {n}")
    newest = notes("Historian gap again")

    def found(text: str, candidates: int) -> set[int]:
        return {hit.id for hit in fulltext.ranked(Note, text, limit=candidates, candidates=candidates)}

    assert found("historian", 2) == {newest, middle}
    assert found("historian", 3) == {newest, middle, oldest}
    assert found("histori", 1) == {newest}  # typed: a prefix


def test_id_ranges_cover_every_id_once() -> None:
    windows = fulltext._id_windows(10_000, 500)
    assert windows[0] == (8_000, 10_000)
    assert all(a[0] == b[1] for a, b in itertools.pairwise(windows))
    assert windows[-1][0] == 0 and fulltext._id_windows(0, 500) == []


def test_changes_and_deletions_are_indexed(notes: Any) -> None:
    pk = notes("Label printer offline")
    Note.objects.filter(pk=pk).update(title="Historian gap")
    assert fulltext.ranked_ids(Note, "printer", limit=10) == []
    assert fulltext.ranked_ids(Note, "historian", limit=10) == [pk]
    Note.objects.filter(pk=pk).delete()
    assert fulltext.ranked_ids(Note, "historian", limit=10) == []


@pytest.mark.parametrize(
    "text",
    [
        '"', "'", "AND", "OR NOT", "NEAR(", "(", ")", "*", "-", "^", ":*", "a:*", "title:printer", "\\",
        "'; DROP TABLE core_fulltext_probe; --", '"unbalanced printer', "printer & | ! <->", "\x00printer",
        "ümlaut Größe", "x" * 5000, "   ", "",
    ],
)  # fmt: skip
def test_no_user_text_is_a_syntax_error(notes: Any, text: str) -> None:
    notes("Label printer offline")
    hits = fulltext.ranked_ids(Note, text, limit=10)
    assert isinstance(hits, list)
    assert Note.objects.count() == 1


def test_operators_in_text_are_words_on_sqlite_and_websearch_on_postgresql(notes: Any) -> None:
    printer = notes("Label printer offline")
    assert fulltext.ranked_ids(Note, '"label printer"', limit=10) == [printer]
    assert fulltext.sqlite_match('printer" OR "x* NEAR(') == '"printer" "OR" "x" "NEAR"'


def test_an_unregistered_model_is_refused(db: Any) -> None:
    class Unindexed(models.Model):
        class Meta:
            app_label = "core"
            managed = False
            db_table = "core_unindexed_probe"

        def __str__(self) -> str:
            return "unindexed"

    with pytest.raises(LookupError):
        fulltext.ranked_ids(Unindexed, "x", limit=1)
