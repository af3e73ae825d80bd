"""Limit/offset pagination with ``count`` and ``next``/``previous`` links.

Each page costs two queries (the count and the page) plus the handler's fixed prefetches,
whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django.http import HttpRequest
from ninja import Field, Schema

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

ModelT = TypeVar("ModelT", bound=models.Model)


class PageParams(Schema):
    """The ``limit`` and ``offset`` query parameters (declare as ``page: Query[PageParams]``)."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page (1–500)")
    offset: int = Field(0, ge=0, description="Rows to skip")


def paginate(
    request: HttpRequest,
    queryset: models.QuerySet[ModelT],
    page: PageParams,
    serialize: Callable[[ModelT], Any],
) -> dict[str, Any]:
    """One page of ``queryset`` as ``{"count", "next", "previous", "results"}``.

    ``queryset`` must be ordered by a unique key so pages neither repeat nor skip rows.
    """
    count = queryset.count()
    rows = list(queryset[page.offset : page.offset + page.limit]) if page.offset < count else []
    return paginated(request, count, rows, page, serialize)


def paginated(
    request: HttpRequest,
    count: int,
    rows: list[Any],
    page: PageParams,
    serialize: Callable[[Any], Any],
) -> dict[str, Any]:
    """``paginate``'s answer for ``rows`` already read (page ``page`` of ``count``)."""
    end = page.offset + page.limit
    return {
        "count": count,
        "next": _page_url(request, end, page.limit) if end < count else None,
        "previous": (
            _page_url(request, max(page.offset - page.limit, 0), page.limit)
            if page.offset > 0
            else None
        ),
        "results": [serialize(row) for row in rows],
    }


def _page_url(request: HttpRequest, offset: int, limit: int) -> str:
    query = request.GET.copy()
    query["offset"] = str(offset)
    query["limit"] = str(limit)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
