from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "aftercare.practice"
    label = "practice"
    verbose_name = "Practices and people"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        # The audit trail listens to sign-in signals (Django's and django-axes').
        from aftercare.practice import sign_in  # noqa: F401
        from aftercare.practice.audit import redact_practice

        # A deleted practice's audit rows stay, pseudonymous (even when deleted in the admin).
        pre_delete.connect(
            lambda sender, instance, **kwargs: redact_practice(instance),
            sender="practice.Practice",
            weak=False,
            dispatch_uid="aftercare.audit.redact_practice",
        )
