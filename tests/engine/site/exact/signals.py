from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Gadget, GadgetLog


@receiver(post_save, sender=Gadget)
def wipe_logs(sender, instance, **kwargs):
    """A side effect a restore must not trigger."""
    GadgetLog.objects.all().delete()
