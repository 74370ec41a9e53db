"""What the kb site answers whatever a request holds: a 4xx, never a 500, never a redirect to
another site. These mend faults of Datasette 0.65.5 itself; kb/web/__init__.py installs them
(its ``asgi_wrapper`` and ``handle_exception`` hooks).

- **Methods.** The site is read-only (the index is served immutable, every canned query reads):
  any method but GET and HEAD is answered 405. Datasette answers 500 to TRACE and to a method it
  has no handler for, and to a POST to a table or a canned query.
- **Redirects.** A ``Location`` is always a path on this site. Datasette redirects
  ``/\\evil.example/`` to ``/\\evil.example``, which browsers read as ``//evil.example``, another
  site (https://github.com/simonw/datasette/issues/2680, the backslash variant of
  https://github.com/simonw/datasette/issues/2429; fix proposed upstream in
  https://github.com/simonw/datasette/pull/2729).
- **Datasette's own arguments** that it parses without checking (``_timelimit``, the JSON of
  ``_through``, ``_facet…={…}`` and ``…__in=[…]``) are checked first: 400 naming the argument.
- **Errors Datasette reports as 500** although the request caused them (an unknown ``_sort``
  column, https://github.com/simonw/datasette/issues/1950, fixed after 0.65; a query over the time
  limit in a CSV download) are answered 400 (:func:`client_fault`).
"""

from __future__ import annotations

import json
import re
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from datasette.database import QueryInterrupted
from datasette.utils.asgi import Request, Response
from datasette.views.base import DatasetteError

READ_METHODS = ("GET", "HEAD")
# What browsers ignore in a URL: tabs and newlines anywhere, C0 controls and spaces at its ends.
_IGNORED_ANYWHERE = re.compile(r"[\t\n\r]")
_IGNORED_AT_ENDS = "".join(chr(c) for c in range(0x21))
_SCALAR = (str, int, float, type(None))

Scope = dict[str, Any]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def same_site_location(location: str) -> str:
    """A redirect target as a path on this site, read as a browser reads it: leading slashes and
    backslashes (browsers take ``\\`` for ``/``) collapse into one, an absolute URL keeps only
    its path, query and fragment."""
    text = _IGNORED_ANYWHERE.sub("", location).strip(_IGNORED_AT_ENDS)
    split = urlsplit(text.replace("\\", "/"))
    if split.scheme:
        text = urlunsplit(("", "", split.path, split.query, split.fragment))
    return "/" + text.lstrip("/\\")


def argument_problem(query_string: str) -> str | None:
    """Why one of Datasette's own arguments in a query string cannot be read, or None.

    Datasette 0.65.5 reads these without catching what a bad value raises (a 500)."""
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        problem = _check_argument(key, value)
        if problem:
            return f"{key}: {problem}"
    return None


def _check_argument(key: str, value: str) -> str | None:
    if key == "_timelimit":
        return None if value == "" or _is_int(value) else "a number of milliseconds"
    if key == "_through":
        data = _json(value)
        ok = (isinstance(data, dict) and isinstance(data.get("table"), str)
              and isinstance(data.get("column"), str) and isinstance(data.get("value"), _SCALAR))
        return None if ok else 'JSON {"table": …, "column": …, "value": …}'
    if key.startswith("_facet") and value.startswith("{"):
        data = _json(value)
        ok = isinstance(data, dict) and isinstance(data.get("simple"), str)
        return None if ok else 'a column name, or JSON {"simple": column}'
    if key.endswith(("__in", "__notin")) and value.startswith("["):
        data = _json(value)
        ok = isinstance(data, list) and all(isinstance(v, _SCALAR) for v in data)
        return None if ok else "values separated by commas, or a JSON list of values"
    return None


def _is_int(value: str) -> bool:
    try:
        int(value)  # as Datasette reads it
    except ValueError:
        return False
    return True


def _json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return None


def client_fault(exception: BaseException) -> tuple[int, str] | None:
    """(status, message) for an exception a request caused but Datasette 0.65.5 answers with
    500; None for any other (a fault of the server stays a 500)."""
    # Datasette raises DatasetteError with its default status (500) only for arguments it
    # refuses: an unknown _sort or _sort_desc column, both at once, a _through with no foreign key
    if isinstance(exception, DatasetteError) and exception.status == 500:
        return 400, str(exception.message)
    # its JSON and HTML views answer 400 to a query over the time limit; its CSV view does not
    if isinstance(exception, QueryInterrupted):
        return 400, "SQL query took too long (the sql_time_limit_ms setting)"
    return None


async def error_response(datasette, request: Request, status: int, message: str,
                         headers: dict[str, str] | None = None) -> Response:
    """An error as Datasette's own handler shows one: JSON for a ``.json`` path, else its
    error.html page (the message escaped)."""
    info = {"ok": False, "error": message, "status": status, "title": None}
    if request.path.endswith(".json"):
        return Response.json(info, status=status, headers=headers)
    template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
    body = await template.render_async(dict(info, urls=datasette.urls,
                                            app_css_hash=datasette.app_css_hash(),
                                            menu_links=lambda: []))
    return Response.html(body, status=status, headers=headers)


def guard(app, datasette):
    """The ASGI app that answers for ``app``: methods, arguments and redirects as this module
    describes."""

    async def guarded(scope: Scope, receive, send: Send) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        request = Request(scope, receive)
        if scope["method"] not in READ_METHODS:
            response = await error_response(
                datasette, request, 405, f"{scope['method']} is not allowed: this site is read-only",
                headers={"Allow": ", ".join(READ_METHODS)})
            return await response.asgi_send(send)
        problem = argument_problem(request.query_string)
        if problem:
            response = await error_response(datasette, request, 400, problem)
            return await response.asgi_send(send)

        async def send_same_site(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = dict(message, headers=[
                    (k, same_site_location(v.decode("latin-1")).encode("latin-1"))
                    if k.lower() == b"location" else (k, v)
                    for k, v in message.get("headers", [])])
            await send(message)

        await app(scope, receive, send_same_site)

    return guarded
