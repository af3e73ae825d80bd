from __future__ import annotations

import re
from pathlib import Path

from aftercare.api.api import api

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def test_every_mounted_router_is_listed_in_the_api_docs() -> None:
    text = DOCS.read_text()
    prefixes = {"/api/v1/" + router.prefix.strip("/") for router in api._get_bound_routers()}
    # "/api/v1/care" must not pass for "/api/v1/care-queue".
    missing = sorted(p for p in prefixes if not re.search(re.escape(p) + r"(?![\w-])", text))
    assert not missing, f"Add a row for {missing} to the resource tables in docs/api.md"


def test_the_readme_links_the_api_docs() -> None:
    readme = (DOCS.parents[1] / "README.md").read_text()
    assert "(docs/api.md)" in readme.split("## Documentation", 1)[1]
