"""The post_save handler that keeps ``Mention`` rows in step with comment bodies."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save

from notes.memo import parse_refs
from notes.models import Comment, Mention


def sync_mentions(sender: type[Comment], instance: Comment, **kwargs: object) -> None:
    """Make the comment's mentions match the references in its body.

    Mentions of objects that no longer exist, or that the body no longer refers to,
    are deleted; references without a mention get one.
    """
    wanted: set[tuple[int, int]] = set()
    for label, pk in parse_refs(instance.body):
        model = apps.get_model(label)
        if model._default_manager.filter(pk=pk).exists():
            wanted.add((ContentType.objects.get_for_model(model).pk, pk))
    for mention in list(instance.mentions.all()):
        key = (mention.target_type_id, mention.target_id)
        if key in wanted:
            wanted.discard(key)
        else:
            mention.delete()
    Mention.objects.bulk_create(
        Mention(comment=instance, target_type_id=ct, target_id=pk) for ct, pk in sorted(wanted)
    )


def connect() -> None:
    post_save.connect(sync_mentions, sender=Comment, dispatch_uid="notes.sync_mentions")
