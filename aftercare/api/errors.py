"""One error format for the whole API: ``{"detail": "...", "errors": {"field": ["message"]}}``.

``detail`` is one sentence for a person; ``errors`` (present for input problems) names each
field with its messages. Statuses: 400 a body that is not a JSON object (413 a too large one),
401 no or a bad token, 403 a right the token's role lacks, 404 anything not in the token's
practice (never 403 for another practice's record), 405 a method the route lacks, 422 input
that fails validation. Handlers raise ``ApiError`` (or ``Http404``, Django's
``ValidationError``) and never build error responses by hand.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from aftercare.api.bounds import OutOfBounds, check_json_text, check_json_value

logger = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"
FieldErrors = dict[str, list[str]]


class ApiError(Exception):
    """An error with a status, a sentence and (for input problems) messages per field."""

    def __init__(self, status: int, detail: str, errors: FieldErrors | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or {}


def invalid(errors: FieldErrors, detail: str = "") -> ApiError:
    """A 422 naming each field that is wrong."""
    if not detail:
        fields = ", ".join(name for name in errors if name != NON_FIELD)
        detail = f"Invalid input: {fields}." if fields else "Invalid input."
        if NON_FIELD in errors and not fields:
            detail = f"Invalid input: {errors[NON_FIELD][0]}"
    return ApiError(422, detail, errors)


def error_body(detail: str, errors: FieldErrors | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail}
    if errors:
        body["errors"] = errors
    return body


def json_error(status: int, detail: str, errors: FieldErrors | None = None) -> JsonResponse:
    """An error response outside a ninja operation (unknown path, 405)."""
    return JsonResponse(error_body(detail, errors), status=status)


def form_errors(form: forms.BaseForm, rename: Mapping[str, str] | None = None) -> FieldErrors:
    """A bound, invalid form's errors keyed by API field names."""
    rename = rename or {}
    errors: FieldErrors = {}
    for name, items in form.errors.get_json_data().items():
        key = NON_FIELD if name == "__all__" else rename.get(name, name)
        errors.setdefault(key, []).extend(str(item["message"]) for item in items)
    return errors


def django_validation_errors(error: DjangoValidationError) -> FieldErrors:
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if name == "__all__" else name): list(messages)
            for name, messages in error.message_dict.items()
        }
    return {NON_FIELD: list(error.messages)}


def parse_json_object(request: HttpRequest, *, required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object; 400 naming the problem when it is not one."""
    if not request.body:
        if required:
            raise ApiError(400, "The request body is empty; send a JSON object.")
        return {}
    try:
        check_json_text(request.body)
        data = json.loads(request.body)
    except UnicodeDecodeError as error:
        raise ApiError(400, "Malformed JSON body: it is not UTF-8 text.") from error
    except json.JSONDecodeError as error:
        raise ApiError(400, f"Malformed JSON body: {error}.") from error
    except OutOfBounds as error:
        raise ApiError(422, error.detail, error.errors) from error
    if not isinstance(data, dict):
        raise ApiError(400, f"The request body must be a JSON object, not {json_type_name(data)}.")
    try:
        check_json_value(data)
    except OutOfBounds as error:
        raise ApiError(422, error.detail, error.errors) from error
    return data


def json_type_name(value: Any) -> str:
    return {
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), "an object")


def reject_unknown_fields(data: Mapping[str, Any], known: Iterable[str]) -> None:
    """A 422 for fields the resource does not have (typos should not be silently ignored)."""
    known_set = set(known)
    unknown = sorted(name for name in data if name not in known_set)
    if unknown:
        raise invalid({name: ["Unknown field."] for name in unknown})


class JsonBodyParser(Parser):
    """ninja's JSON parser, remembering why a body could not be read for the 400 message."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return parse_json_object(request)


def install_error_handlers(api: NinjaAPI) -> None:
    """Make every error of ``api`` answer in the one JSON format."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, exc.status, error_body(exc.detail, exc.errors))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = exc.message if exc.message != "Unauthorized" else "Authentication required."
        response = respond(request, 401, error_body(message))
        response["WWW-Authenticate"] = 'Bearer realm="aftercare"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if exc.status_code == 400 and isinstance(cause, ApiError):
            # ninja wraps a body its parser could not read; keep our message that says why.
            return respond(request, 400, error_body(cause.detail))
        return respond(request, exc.status_code, error_body(str(exc)))

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors: FieldErrors = {}
        for item in exc.errors:
            location = [str(part) for part in item.get("loc", ())]
            # ("query", "limit") or ("body", "payload", "given_name"): drop the source and,
            # for a body, the parameter's own name, leaving the field a client sent.
            path = location[2:] if location[:1] == ["body"] else location[1:]
            name = ".".join(path) or NON_FIELD
            errors.setdefault(name, []).append(str(item.get("msg", "Invalid value.")))
        error = invalid(errors)
        return respond(request, 422, error_body(error.detail, errors))

    @api.exception_handler(DjangoValidationError)
    def model_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        error = invalid(django_validation_errors(exc))
        return respond(request, 422, error_body(error.detail, error.errors))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("Not found."))

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, error_body(str(exc) or "Your role may not do this."))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return respond(request, 413, error_body(f"The request body is larger than {limit} bytes."))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if settings.DEBUG:
            raise exc
        logger.exception("API error on %s %s", request.method, request.path)
        return respond(request, 500, error_body("Internal server error; it has been logged."))


class ErrorOut(Schema):
    """Every error: a sentence, and for input problems the messages per field."""

    detail: str
    errors: dict[str, list[str]] | None = None
