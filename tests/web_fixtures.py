"""A site to test: the real articles plus hostile and copied ones, built into a real kb.db, and
a Datasette instance over it with the project's metadata.yml (Datasette's in-process client; a
real HTTP server where requests must run at the same time)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import yaml
from datasette.app import Datasette

from kb.index import build_index

from helpers import ARTICLES, REPO_ROOT, write_article

# Everything an article may hold that must never run in a browser.
SCRIPT = "<script>alert('kb')</script>"
EVIL_BODY = f"""{SCRIPT}しびれの記事です。<img src=x onerror="alert(1)">

## 手足のしびれ{SCRIPT}と危険なサイン

手足のしびれ{SCRIPT}は神経の圧迫が原因のことがあります。<iframe src="https://example.com"></iframe>
[リンク](javascript:alert(1)) と <a href="javascript:alert(2)">もうひとつ</a>

## Q1.しびれ<b>太字</b>はなぜ起こりますか?

血行不良<script>alert(3)</script>が原因のことがあります。

## ご予約

{{booking}}
"""
BOOKING = ("ご予約はお電話またはLINEで承っております。受付時間は平日9時から19時、土曜は17時までです。"
           "日曜・祝日は休診となります。駐車場は院の裏に3台分ございます。ご相談もどうぞ。")
COPIED = ("めまいを感じたら、まず安全な場所で座るか横になり、頭を動かさないようにしましょう。"
          "衣服をゆるめ、深呼吸をして気持ちを落ち着けることも大切です。"
          "症状が治まらない場合や、手足のしびれ、ろれつが回らないなどの症状を伴う場合は、すぐに医療機関を受診してください。")


def build_site(folder: Path) -> Path:
    """Copy the real articles, add the hostile and copied ones, build ``folder/kb.db``."""
    articles = folder / "articles"
    shutil.copytree(ARTICLES, articles)
    write_article(articles, "evil.md", title=f"しびれ{SCRIPT}の危険", site="悪い<b>サイト</b>",
                  url="javascript:alert(1)", tags=[SCRIPT], body=EVIL_BODY.replace("{booking}", BOOKING))
    for name in ("copy-one.md", "copy-two.md"):
        write_article(articles, name, title=f"めまいの応急処置 {name}",
                      site="kb編集部", body=f"## めまいが起きたとき\n\n{COPIED}\n\n## ご予約\n\n{BOOKING}\n")
    db_path = folder / "kb.db"
    build_index(articles, db_path, workers=1)
    return db_path


def metadata() -> dict:
    return yaml.safe_load((REPO_ROOT / "metadata.yml").read_text("utf-8"))


async def datasette_for(db_path: Path, data: dict | None = None, **settings) -> Datasette:
    """Datasette over the index, read-only as scripts/serve serves it (with the project's
    metadata.yml unless ``data`` is given, and Datasette's ``settings``), started."""
    ds = Datasette(immutables=[str(db_path)], metadata=metadata() if data is None else data,
                   settings=settings or None)
    await ds.invoke_startup()
    return ds


def sql_metadata() -> dict:
    """The project's metadata with arbitrary SQL allowed: a site whose operator turned it on."""
    data = metadata()
    data.pop("allow_sql", None)
    return data


@contextmanager
def serving(ds: Datasette) -> Iterator[str]:
    """Datasette's app on a real HTTP server (uvicorn, as ``datasette serve`` runs it) on a free
    local port, in a thread of this process: its base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(ds.app(), log_level="error"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def http_get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    """GET a URL: its status and body (an error status is an answer, not an exception)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
