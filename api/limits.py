"""The request body limit: bodies over it get 413, with the body every other error of the service has."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PayloadTooLargeError, error_response


class BodyLimit:
    """Refuses request bodies over a limit with 413 (`PayloadTooLargeError`), by Content-Length or while the
    body streams in.

    Uploads (paths ending in /import) get the larger `upload_limit`. A body sent without Content-Length
    (chunked) is counted as the app reads it; past the limit the read raises, and whatever the app makes of
    that (FastAPI answers a failed body read with 400) is replaced by the 413, unless it had started to answer
    before reading the whole body.
    """

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"].endswith("/import") else self.limit
        too_large = PayloadTooLargeError(f"request body is larger than {limit} bytes")
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await error_response(too_large)(scope, receive, send)
            return
        seen, exceeded, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                exceeded = True
                raise too_large
            return message

        async def send_unless_exceeded(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to the refused read; the 413 goes out instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, send_unless_exceeded)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await error_response(too_large)(scope, receive, send)
