"""ASGI middleware: the Host check (DNS rebinding) and the security headers of every answer."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .responses import error_response

SECURITY_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'",
}

_PASSED = "uptake.host_ok"


class HostGuard:
    """Starlette's :class:`TrustedHostMiddleware` deciding, with our JSON error body for a refusal.

    Names are matched without their port; IPv6 literals may be given bare (``::1``). A ``Host`` that is
    not exactly ``name[:port]`` (``127.0.0.1:8765@evil.example``, two ports, spaces) is refused too.
    """

    def __init__(self, app: ASGIApp, allowed: Sequence[str]) -> None:
        self.app = app
        self.allowed = sorted({_bracketed(h.strip().lower()) for h in allowed if h.strip()})
        self.check = TrustedHostMiddleware(self._passed, allowed_hosts=self.allowed, www_redirect=False)

    async def _passed(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_PASSED] = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def swallow(message: Message) -> None:  # TrustedHostMiddleware's own plain-text refusal
            pass

        await self.check(scope, receive, swallow)
        if scope.pop(_PASSED, False):
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), "")
        names = ", ".join(h.strip("[]") for h in self.allowed)
        resp = error_response(400, f"this server only answers requests addressed to {names} (Host was "
                              f"{host or 'missing'!r}); start it with --host to serve another address")
        await resp(scope, receive, send)


def _bracketed(name: str) -> str:
    """``::1`` -> ``[::1]``: how an IPv6 literal appears in a Host header (and in Starlette's parse of it)."""
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` to every answer (page, assets, API, errors) that does not set them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
