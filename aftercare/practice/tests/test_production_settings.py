"""Production settings: check --deploy passes, CSP without inline code, no cached client data."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from aftercare import config
from aftercare.testing import Personas

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_check_deploy_passes_at_warning_level_with_an_https_base_url(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AFTERCARE_", "DJANGO_"))}
    env |= {"AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_BASE_URL": "https://care.example.org"}
    result = subprocess.run(
        [sys.executable, "-m", "aftercare", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_the_data_folder_and_the_database_are_private_to_their_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config.load({"AFTERCARE_DATA_DIR": str(data)})
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "aftercare.sqlite3").stat().st_mode) == 0o600


def test_an_existing_world_readable_data_folder_is_closed(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    (tmp_path / "aftercare.sqlite3").touch(mode=0o644)
    config.load({"AFTERCARE_DATA_DIR": str(tmp_path)})
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "aftercare.sqlite3").stat().st_mode) == 0o600


def test_the_proxy_header_is_read_and_a_bad_one_refused(tmp_path: Path) -> None:
    loaded = config.load(
        {"AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    )
    assert loaded.proxy_ssl_header == ("HTTP_X_FORWARDED_PROTO", "https")
    with pytest.raises(config.ConfigError, match="AFTERCARE_PROXY_SSL_HEADER"):
        config.load(
            {"AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_PROXY_SSL_HEADER": "X Forwarded"}
        )
    with pytest.raises(config.ConfigError, match="AFTERCARE_HSTS_SECONDS"):
        config.load({"AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_HSTS_SECONDS": "a year"})


def test_pages_carry_a_csp_without_unsafe_inline_and_are_never_stored(
    owner_client: Client, personas: Personas
) -> None:
    for path in ("/clients/", f"/clients/{personas.client.pk}/", "/sign-in/"):
        response = owner_client.get(path)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "no-store" in response["Cache-Control"]


def test_api_answers_are_never_stored(client: Client, personas: Personas) -> None:
    assert "no-store" in client.get("/api/v1/me")["Cache-Control"]


def test_no_template_has_inline_styles_or_scripts() -> None:
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"\sstyle=|<style|<script>|\son[a-z]+=", text):
            offenders.append(str(template.relative_to(TEMPLATES)))
    assert offenders == []
