"""Bounds on every API input, checked before any handler runs, and one transaction per write.

Whatever an operation declares, no request reaches it with:

- an integer outside a 32-bit signed range (PostgreSQL's ``integer`` columns; filtering by a
  larger one raised a database error), in the query string or anywhere in the JSON body;
- a string longer than ``MAX_TEXT`` characters in the body (``MAX_QUERY`` in the query);
- a list of more than ``MAX_ITEMS`` items, or JSON nested more than ``MAX_DEPTH`` deep;
- a NUL character or a lone surrogate anywhere (PostgreSQL refuses both; SQLite would store
  text no other program can read).

Each is a 422 naming the field. The OpenAPI schema says the same (``document_bounds``), so a
client (and Schemathesis) knows the limits without trying them.

A write (POST, PUT, PATCH, DELETE) runs in one transaction that is rolled back when the answer
is an error: a request answered with an error leaves nothing behind, and a retry cannot
duplicate what a failed attempt half-wrote.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from django.http import HttpRequest

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
MAX_TEXT = 10_000
MAX_QUERY = 100
MAX_ITEMS = 100
MAX_DEPTH = 20
# The schema's way to say "no NUL character" (lone surrogates are not JSON-schema text).
NO_NUL = "^[^\\u0000]*$"


class OutOfBounds(ValueError):
    """An input out of bounds: ``errors`` names the field, ``detail`` says it for a person."""

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


def text_problem(value: str, limit: int) -> str:
    """Why a string cannot be accepted, or ""."""
    if len(value) > limit:
        return f"Too long: at most {limit} characters."
    if "\x00" in value:
        return "Contains a NUL character."
    if any("\ud800" <= char <= "\udfff" for char in value):
        return "Contains a lone surrogate (not valid Unicode text)."
    return ""


def int_problem(value: int) -> str:
    if not INT_MIN <= value <= INT_MAX:
        return f"Out of range: use a whole number from {INT_MIN} to {INT_MAX}."
    return ""


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of ``[``/``{`` in a JSON text, strings skipped (no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def check_json_text(raw: bytes) -> None:
    """Before ``json.loads``: refuse nesting that would exhaust the parser's recursion."""
    if nesting_depth(raw) > MAX_DEPTH:
        raise OutOfBounds(f"The JSON body is nested more than {MAX_DEPTH} levels deep.")


def check_json_value(value: Any) -> None:
    """Walk a parsed body (iteratively) and refuse the first value out of bounds."""
    errors: dict[str, list[str]] = {}
    stack: list[tuple[str, Any]] = [("", value)]
    while stack and not errors:
        path, item = stack.pop()
        problem = ""
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            problem = int_problem(item)
        elif isinstance(item, str):
            problem = text_problem(item, MAX_TEXT)
        elif isinstance(item, list):
            if len(item) > MAX_ITEMS:
                problem = f"Too many items: at most {MAX_ITEMS}."
            stack.extend((f"{path}.{index}".lstrip("."), part) for index, part in enumerate(item))
        elif isinstance(item, dict):
            for key, part in item.items():
                key_problem = text_problem(key, MAX_QUERY)
                if key_problem:
                    problem = f"A field name: {key_problem}"
                    break
                stack.append((f"{path}.{key}".lstrip("."), part))
        if problem:
            errors[path or "non_field_errors"] = [problem]
    if errors:
        field = next(iter(errors))
        raise OutOfBounds(f"Invalid input: {field}.", errors)


def query_errors(request: HttpRequest) -> dict[str, list[str]]:
    """Problems with the path or the query string, by parameter."""
    errors: dict[str, list[str]] = {}
    path_problem = text_problem(request.path, MAX_QUERY * 4)
    if path_problem:
        errors["path"] = [path_problem]
    raw = request.META.get("QUERY_STRING", "")
    for name, value in parse_qsl(raw, keep_blank_values=True, errors="surrogateescape"):
        problem = text_problem(name, MAX_QUERY) or text_problem(value, MAX_QUERY)
        if not problem and _looks_like_int(value):
            problem = int_problem(int(value))
        if problem:
            errors.setdefault(name[:50] or "query", []).append(problem)
    return errors


def _looks_like_int(value: str) -> bool:
    digits = value[1:] if value[:1] in "+-" else value
    return digits.isascii() and digits.isdigit() and len(digits) < 4300


def document_bounds(schema: dict[str, Any]) -> dict[str, Any]:
    """Write the bounds above into an OpenAPI schema, and the error answers every operation
    can give, so every status code the API answers with is documented."""
    inputs = [
        component
        for name, component in schema.get("components", {}).get("schemas", {}).items()
        if not name.endswith(("Out", "Page"))
    ]
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                inputs.append(operation.get("requestBody", {}))
                inputs.extend(operation.get("parameters", []))
    for node in _schema_nodes(inputs):
        kind = node.get("type")
        if kind == "integer":
            node["minimum"] = max(node.get("minimum", INT_MIN), INT_MIN)
            node["maximum"] = min(node.get("maximum", INT_MAX), INT_MAX)
        elif kind == "string" and "enum" not in node and "format" not in node:
            node["maxLength"] = min(node.get("maxLength", MAX_TEXT), MAX_TEXT)
            node.setdefault("pattern", NO_NUL)
        elif kind == "array":
            node.setdefault("maxItems", MAX_ITEMS)
        elif kind == "object" and "properties" in node:
            # Unknown fields are refused (a typo must not be ignored), and the schema says so.
            node.setdefault("additionalProperties", False)
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                inner = parameter.get("schema", {})
                if inner.get("type") == "string" and "enum" not in inner:
                    inner["maxLength"] = min(inner.get("maxLength", MAX_QUERY), MAX_QUERY)
            codes = {
                "400": "The request could not be read (not JSON, not an object).",
                "404": "Not found in the token's practice (the path or a record it names).",
                "414": "The address is too long for the server.",
                "422": "Invalid input: the fields and their messages.",
            }
            if operation.get("security"):
                codes["401"] = "No token, or a revoked one."
            if method in {"post", "put", "patch"}:
                codes["413"] = "The request body is too large."
            for code, description in codes.items():
                operation["responses"].setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ErrorOut"}
                            }
                        },
                    },
                )
    return schema


def _schema_nodes(value: Any) -> list[dict[str, Any]]:
    """Every JSON-schema object inside an OpenAPI document (iteratively)."""
    found: list[dict[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "type" in item:
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
