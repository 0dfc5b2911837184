"""What the forms app accepts from a request before doing any work with it (a body no larger than
:data:`MAX_BODY_BYTES`, refused unread when its declared length is over; the JSON media type exactly;
JSON without the constants Python would accept, NaN and Infinity) and the headers every answer carries."""

from __future__ import annotations

import urllib.parse

from fastapi import HTTPException, Request

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",  # the link token is in the URL
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

# a form post is a few kilobytes; anything much larger is refused before it is read
MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 200  # fields in one post at most (the application form has about 60)
TOO_LARGE = f"The request is too large (at most {MAX_BODY_BYTES // 1024} KB)."


class BodyTooLarge(Exception):
    """The request body is over :data:`MAX_BODY_BYTES`."""


def media_type(content_type: str) -> str:
    """The media type of a Content-Type header, exactly (``text/plain; application/json`` is text/plain)."""
    return content_type.split(";", 1)[0].strip().lower()


async def capped_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, read no further than ``limit`` bytes (a declared length over it is refused unread)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise BodyTooLarge
    request._body = bytes(received)  # starlette's own cache: form() parses what was read here
    return request._body


async def form_fields(request: Request) -> dict[str, str]:
    """The posted fields (last value wins), as plain strings; uploads are not accepted. A form as browsers post
    it (URL-encoded) is split here, as Starlette would split it but without its streaming parser's callbacks
    per byte run: the body is read whole already."""
    body = await capped_body(request)
    if media_type(request.headers.get("content-type", "")) == "application/x-www-form-urlencoded":
        try:
            return dict(urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True,
                                               max_num_fields=MAX_FIELDS))
        except ValueError:
            raise HTTPException(400, f"Too many fields. Maximum number of fields is {MAX_FIELDS}.") from None
    data = await request.form(max_files=0, max_fields=MAX_FIELDS)
    return {key: value for key, value in data.items() if isinstance(value, str)}


def wants_json(request: Request) -> bool:
    """Whether the client asked for JSON rather than a page (``Accept``)."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")
