"""Fixtures: real article folders and real SQLite indexes in tmp_path, the real Sudachi dictionary.

The analyzer is loaded once per process (``kb.analysis.analyzer.get_analyzer`` is cached), so only tests
that start subprocesses pay for loading the dictionary again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.analysis import get_analyzer
from kb.index import build_index
from kb.index import open_db

from helpers import ARTICLES, SMALL_SET


@pytest.fixture(scope="session")
def analyzer():
    """The process's analyzer (Sudachi's dictionary loads on first use, once)."""
    return get_analyzer()


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    """A copy of a few real articles in tmp_path/articles."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in SMALL_SET:
        shutil.copy(ARTICLES / name, folder / name)
    return folder


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kb.db"


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of SMALL_SET, built once; ``built`` copies it."""
    folder = tmp_path_factory.mktemp("small") / "articles"
    folder.mkdir()
    for name in SMALL_SET:
        shutil.copy(ARTICLES / name, folder / name)
    path = folder.parent / "kb.db"
    build_index(folder, path, workers=1)  # serially: no process pool inside pytest
    return path


@pytest.fixture
def built(articles_dir: Path, db_path: Path, small_index: Path) -> Path:
    """``db_path``: the index of ``articles_dir`` as it is (articles are stored by relative path
    and content hash, so a copy of the same build is up to date here)."""
    shutil.copy(small_index, db_path)
    return db_path


@pytest.fixture(scope="session")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the real articles/ folder; read it, never change it."""
    path = tmp_path_factory.mktemp("built") / "kb.db"
    build_index(ARTICLES, path, workers=1)
    return path


@pytest.fixture
def db(built_db: Path):
    """``built_db`` opened read-only with kb's own opener, closed after the test."""
    database = open_db(built_db)
    yield database
    database.close()


@pytest.fixture(scope="session")
def session_db(built_db: Path):
    """``built_db`` opened once for the session (for Hypothesis, which reruns a test body)."""
    database = open_db(built_db)
    yield database
    database.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
