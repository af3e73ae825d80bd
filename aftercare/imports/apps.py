from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "aftercare.imports"
    label = "imports"

    def ready(self) -> None:
        from aftercare.care.ticks import register_tick_step
        from aftercare.imports.jobs import run_waiting_imports

        register_tick_step("imports: run uploaded files", run_waiting_imports)
