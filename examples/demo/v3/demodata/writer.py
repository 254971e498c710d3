"""Batched inserts that bypass ``save()``, signals and ``auto_now``.

``bulk_create`` refuses multi-table-inheritance children, so ``Writer.insert`` writes
each table of such a model itself (parent first) with the ORM's insert query, the
same way ``bulk_create`` does for a plain model. Nothing is held beyond one batch.
"""

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import TypeVar

from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

MAX_BATCH = 5000
T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@contextmanager
def frozen_auto_now(model: type[models.Model]) -> Iterator[None]:
    """Store ``auto_now``/``auto_now_add`` fields as given, not as the clock says."""
    saved = []
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            saved.append((field, field.auto_now, field.auto_now_add))
            field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _copy_key_to_parents(model: type[models.Model], obj: models.Model) -> None:
    """Give each parent part of ``obj`` the key its parent link holds (as save() does)."""
    for parent, link in model._meta.parents.items():
        if link is not None:
            setattr(obj, parent._meta.pk.attname, getattr(obj, link.attname))
            _copy_key_to_parents(parent, obj)


class Writer:
    """Inserts model instances in batches and counts the table rows written."""

    def __init__(self, using: str, batch_size: int = 2000) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch size must be between 1 and {MAX_BATCH}")
        self.using = using
        self.batch_size = batch_size
        self.rows: Counter[str] = Counter()
        self.models: list[type[models.Model]] = []

    @property
    def connection(self) -> BaseDatabaseWrapper:
        return connections[self.using]

    def atomic(self) -> transaction.Atomic:
        return transaction.atomic(using=self.using)

    def insert_all(self, objs: Iterable[models.Model]) -> None:
        """Insert everything ``objs`` yields, one transaction, batch by batch."""
        with self.atomic():
            for batch in batched(objs, self.batch_size):
                self.insert(batch)

    def insert(self, batch: list[models.Model]) -> None:
        """Insert one batch of instances of one model (all keys set by the caller)."""
        if not batch:
            return
        model = type(batch[0])
        opts = model._meta
        for table_model in [*opts.get_parent_list(), model]:
            if table_model not in self.models:
                self.models.append(table_model)
        with frozen_auto_now(model):
            if not opts.parents:
                manager = model._base_manager.using(self.using)
                manager.bulk_create(batch, batch_size=self._rows_per_query(opts, batch))
                self.rows[opts.db_table] += len(batch)
                return
            for obj in batch:
                _copy_key_to_parents(model, obj)
            for table_model in [*reversed(opts.get_parent_list()), model]:
                self._insert_local(table_model, batch)

    def _insert_local(self, table_model: type[models.Model], batch: list[models.Model]) -> None:
        """Insert the columns ``table_model`` owns, for each object of ``batch``."""
        opts = table_model._meta
        fields = opts.local_concrete_fields
        manager = table_model._base_manager.using(self.using)
        step = self._rows_per_query(opts, batch)
        for start in range(0, len(batch), step):
            manager._insert(batch[start : start + step], fields=fields, using=self.using)
        self.rows[opts.db_table] += len(batch)

    def _rows_per_query(self, opts: models.options.Options, batch: list) -> int:
        size = self.connection.ops.bulk_batch_size(opts.local_concrete_fields, batch)
        return max(1, min(size, self.batch_size))

    def update(self, objs: Iterable[models.Model], fields: list[str]) -> None:
        """Set ``fields`` of existing rows (``bulk_update``, batch by batch)."""
        with self.atomic():
            for batch in batched(objs, self.batch_size):
                manager = type(batch[0])._base_manager.using(self.using)
                manager.bulk_update(batch, fields, batch_size=500)

    def reset_sequences(self) -> None:
        """Explicit keys leave PostgreSQL sequences behind: move them past the data."""
        statements = self.connection.ops.sequence_reset_sql(no_style(), self.models)
        if statements:
            with self.connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)

    @property
    def total(self) -> int:
        return sum(self.rows.values())
