"""When a person's credentials end, everything that stands in for them ends too.

Deactivating an account or changing its password (a reset, an admin's change, the user's own)
revokes its API tokens here and sends `credentials_ended`, to which other areas connect what
they issued on the person's behalf (scheduling deletes calendar feed links). Browser sessions
end through Django itself: a session stores a hash of the password, so a changed password no
longer matches, and an inactive user is not loaded from a session (tests/gateway prove both).
"""

import django.dispatch
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from imsclinic.gateway.actions import revoke_all_tokens

# Sent with `user` and `reason` ("deactivated" or "password changed") after the change is saved.
credentials_ended = django.dispatch.Signal()

User = get_user_model()


@receiver(pre_save, sender=User, dispatch_uid="gateway.note_credential_change")
def note_credential_change(sender, instance, raw=False, **kwargs):
    instance._credentials_end_reason = None
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"is_active", "password"} & set(update_fields):
        return  # e.g. the last_login stamp on every sign-in: no extra query
    before = sender._default_manager.filter(pk=instance.pk).values("is_active", "password").first()
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        instance._credentials_end_reason = "deactivated"
    elif before["password"] != instance.password:
        instance._credentials_end_reason = "password changed"


@receiver(post_save, sender=User, dispatch_uid="gateway.end_credentials")
def end_credentials(sender, instance, raw=False, **kwargs):
    reason = getattr(instance, "_credentials_end_reason", None)
    instance._credentials_end_reason = None
    if raw or not reason:
        return
    revoke_all_tokens(user=instance, by=None, reason=reason)
    credentials_ended.send(sender=User, user=instance, reason=reason)
