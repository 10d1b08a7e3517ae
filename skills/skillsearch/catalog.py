"""Full-text search over the Skill Search catalog with SQLite FTS5.

0.1.11's Skill Search queried an Elasticsearch cluster. The rewrite has to run with nothing but
the standard library, so the catalog ships as ``catalog.jsonl`` and is indexed into an FTS5
table (an in-memory one by default, or a file that is reused until the data changes).
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from typing import Any
from typing import Iterable

DEFAULT_DATA = Path(__file__).with_name('catalog.jsonl')

# Bumped whenever the tables below change shape, so an old on-disk index is rebuilt.
SCHEMA_VERSION = '1'

# Words that carry no topic in requests like "how do I find something to ...".
STOP_WORDS = frozenset('''
    a about alexa an and any are ask at be can could do does find for from get give go help how i
    in is it let like look looking me my need of on one open or please search
    show some something tell that the there thing things to want wanna way we what which who
    will with would you your
'''.split())

# "skill" describes the whole catalog, so it only helps when it is all the user said.
FILLER_WORDS = frozenset({'skill', 'skills', 'app', 'apps'})

MAX_TERMS = 16
MARK = '*'
_OPEN, _CLOSE = '\x02', '\x03'  # private markers, so a match is detectable before '*' is used
_WORD = re.compile(r'[^\W_]+')

# Column order of the FTS table; bm25 weights favour the name, then the one-line pitch.
_COLUMNS = ('name', 'description', 'short_description', 'category', 'usage_phrases', 'creator')
_WEIGHTS = (10.0, 2.0, 4.0, 3.0, 2.0, 1.0)
_PHRASE_SEPARATOR = ' | '


@dataclass(frozen=True)
class Skill:
    """One catalog entry, plus the matched snippets of the search that found it."""

    id: str
    name: str
    creator: str
    category: str
    description: str
    short_description: str
    usage_phrases: tuple[str, ...]
    avg_rating: float
    num_ratings: int
    image_url: str
    highlights: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return plain JSON values, because skills travel in Alexa session attributes."""
        return {
            'id': self.id,
            'name': self.name,
            'creator': self.creator,
            'category': self.category,
            'description': self.description,
            'short_description': self.short_description,
            'usage_phrases': list(self.usage_phrases),
            'avg_rating': self.avg_rating,
            'num_ratings': self.num_ratings,
            'image_url': self.image_url,
            'highlights': list(self.highlights),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Skill:
        """Rebuild a skill from session attributes or a catalog line, lists turned back to tuples.

        Raises ``KeyError``/``TypeError``/``ValueError`` on a malformed record so bad data fails at
        load time rather than halfway through a conversation.
        """
        phrases = d['usage_phrases']
        highlights = d.get('highlights', ())
        if isinstance(phrases, str) or isinstance(highlights, str):
            raise TypeError('usage_phrases and highlights must be lists of strings')
        return cls(
            id=str(d['id']),
            name=str(d['name']),
            creator=str(d['creator']),
            category=str(d['category']),
            description=str(d['description']),
            short_description=str(d['short_description']),
            usage_phrases=tuple(str(p) for p in phrases),
            avg_rating=float(d['avg_rating']),
            num_ratings=int(d['num_ratings']),
            image_url=str(d['image_url']),
            highlights=tuple(str(h) for h in highlights),
        )


@dataclass(frozen=True)
class SearchResult:
    """What a search found: ``total`` matches overall, the best ``skills`` and how they matched.

    ``strict`` is True only when the skills match every search word; False means either the
    any-word fallback was used or nothing matched, so the skill can say "no exact match".
    ``terms`` are the words actually searched for, after dropping stop words.
    """

    total: int
    skills: list[Skill]
    strict: bool
    terms: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return plain JSON values so a result can be kept in session attributes between turns."""
        return {'total': self.total, 'skills': [s.to_json() for s in self.skills],
                'strict': self.strict, 'terms': list(self.terms)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SearchResult:
        """Rebuild a result stored by ``to_json`` on an earlier turn."""
        return cls(total=int(d['total']), skills=[Skill.from_json(s) for s in d['skills']],
                   strict=bool(d['strict']), terms=tuple(d.get('terms', ())))


def load_skills(data_path: str | Path = DEFAULT_DATA) -> list[Skill]:
    """Parse a JSON-lines catalog, naming the line of any bad record so data errors are findable."""
    skills = []
    seen: set[str] = set()
    for number, line in enumerate(Path(data_path).read_text(encoding='utf-8').splitlines(), 1):
        if not line.strip():
            continue
        try:
            skill = Skill.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f'{data_path}:{number}: bad skill record: {e!r}') from e
        if skill.id in seen:
            raise ValueError(f'{data_path}:{number}: duplicate skill id {skill.id!r}')
        seen.add(skill.id)
        skills.append(skill)
    return skills


def query_terms(query: str) -> tuple[str, ...]:
    """Reduce a spoken request to its topic words, so "how do I order pizza" searches "order pizza".

    Only letters and digits survive, which is what makes quoting each term safe against FTS5
    syntax (quotes, ``*``, ``-``, ``NEAR(`` ...). The result is lower-cased, de-duplicated and
    capped at ``MAX_TERMS`` so a rambling utterance cannot produce an enormous query.
    """
    words = [w.lower() for w in _WORD.findall(query)]
    words = [w for w in words if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]
    topical = [w for w in words if w not in FILLER_WORDS]
    terms = topical or words
    return tuple(dict.fromkeys(terms))[:MAX_TERMS]


def _match_expression(terms: Iterable[str], operator: str) -> str:
    return f' {operator} '.join(f'"{t}"' for t in terms)


class Catalog:
    """A searchable skill catalog backed by an SQLite FTS5 index.

    One connection is shared by all threads behind a lock: ``:memory:`` databases are private to
    their connection, and a catalog query takes microseconds, so serialising costs nothing.
    """

    def __init__(self, db_path: str | Path = ':memory:', data_path: str | Path = DEFAULT_DATA):
        """Open ``db_path`` and (re)build its index unless it already holds ``data_path``'s content.

        ``built`` records whether this call had to build, which lets callers and tests see that
        an on-disk index was reused.
        """
        self.data_path = Path(data_path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None)
        try:
            self.built = self._ensure_index(self.data_path.read_bytes())
        except BaseException:
            self._conn.close()
            raise

    def _ensure_index(self, data: bytes) -> bool:
        digest = hashlib.sha256(data).hexdigest()
        conn = self._conn
        conn.execute('BEGIN IMMEDIATE')  # another process may be building the same file
        try:
            if self._stored_meta() == {'data_sha256': digest, 'schema_version': SCHEMA_VERSION}:
                conn.execute('COMMIT')
                return False
            self._build(digest)
            conn.execute('COMMIT')
            return True
        except BaseException:
            conn.execute('ROLLBACK')
            raise

    def _stored_meta(self) -> dict[str, str]:
        try:
            return dict(self._conn.execute('SELECT key, value FROM catalog_meta').fetchall())
        except sqlite3.OperationalError:  # no such table: a fresh database
            return {}

    def _build(self, digest: str) -> None:
        skills = load_skills(self.data_path)
        conn = self._conn
        for table in ('skills_fts', 'skills', 'catalog_meta'):
            conn.execute(f'DROP TABLE IF EXISTS {table}')
        conn.execute(f'''CREATE TABLE skills (
            rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, record TEXT NOT NULL,
            num_ratings INTEGER NOT NULL, {", ".join(f"{c} TEXT NOT NULL" for c in _COLUMNS)})''')
        conn.execute(f'''CREATE VIRTUAL TABLE skills_fts USING fts5(
            {", ".join(_COLUMNS)}, content='skills', content_rowid='rowid',
            tokenize='porter unicode61')''')
        conn.execute('CREATE TABLE catalog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
        conn.executemany(
            f'INSERT INTO skills (id, record, num_ratings, {", ".join(_COLUMNS)}) '
            f'VALUES ({", ".join("?" * (3 + len(_COLUMNS)))})',
            [(s.id, json.dumps(s.to_json()), s.num_ratings, s.name, s.description,
              s.short_description, s.category, _PHRASE_SEPARATOR.join(s.usage_phrases), s.creator)
             for s in skills])
        conn.execute("INSERT INTO skills_fts (skills_fts) VALUES ('rebuild')")
        conn.executemany('INSERT INTO catalog_meta VALUES (?, ?)',
                         [('data_sha256', digest), ('schema_version', SCHEMA_VERSION)])

    def __len__(self) -> int:
        """Count the indexed skills, which tells a reused index apart from a stale one."""
        with self._lock:
            return self._conn.execute('SELECT count(*) FROM skills').fetchone()[0]

    def get(self, skill_id: str) -> Skill | None:
        """Look a skill up by id, for follow-up turns that only kept the id in the session."""
        with self._lock:
            row = self._conn.execute('SELECT record FROM skills WHERE id = ?',
                                     (skill_id,)).fetchone()
        return Skill.from_json(json.loads(row[0])) if row else None

    def search(self, query: str, limit: int = 6) -> SearchResult:
        """Find skills for a spoken request, preferring ones that match every word.

        Strict (all words) matching keeps "order pizza" from drowning in every skill that
        mentions ordering; when it finds nothing, any-word matching still offers the closest
        skills, and ``strict=False`` lets the dialog admit the match is partial.
        """
        if limit < 0:
            raise ValueError(f'limit must not be negative, got {limit}')
        terms = query_terms(query)
        if not terms:
            return SearchResult(total=0, skills=[], strict=False, terms=terms)
        total, skills = self._run(_match_expression(terms, 'AND'), limit)
        if total:
            return SearchResult(total=total, skills=skills, strict=True, terms=terms)
        if len(terms) > 1:
            total, skills = self._run(_match_expression(terms, 'OR'), limit)
        return SearchResult(total=total, skills=skills, strict=False, terms=terms)

    def _run(self, match: str, limit: int) -> tuple[int, list[Skill]]:
        marks = f"'{_OPEN}', '{_CLOSE}'"
        sql = f'''
            SELECT s.record,
                   highlight(skills_fts, 0, {marks}),
                   snippet(skills_fts, 2, {marks}, '...', 16),
                   snippet(skills_fts, 1, {marks}, '...', 16),
                   snippet(skills_fts, 4, {marks}, '...', 16)
            FROM skills_fts JOIN skills s ON s.rowid = skills_fts.rowid
            WHERE skills_fts MATCH ?
            ORDER BY bm25(skills_fts, {", ".join(map(str, _WEIGHTS))}), s.num_ratings DESC, s.id
            LIMIT ?'''
        with self._lock:
            total = self._conn.execute('SELECT count(*) FROM skills_fts WHERE skills_fts MATCH ?',
                                       (match,)).fetchone()[0]
            rows = self._conn.execute(sql, (match, limit)).fetchall() if total and limit else []
        return total, [_with_highlights(*row) for row in rows]

    def close(self) -> None:
        """Release the database file, which matters for on-disk indexes in tests and tools."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Catalog:
        """Allow ``with Catalog(path) as catalog:`` so the file is closed on the way out."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the catalog when the ``with`` block ends."""
        self.close()


def _with_highlights(record: str, name: str, short: str, description: str, usage: str) -> Skill:
    """Attach the matched name, pitch and usage fragments in card-friendly ``*word*`` form.

    The description opens with the short description, so only the first of the two that
    matched is kept; a card has room for three lines, not repeats.
    """
    text = short if _OPEN in short else description
    highlights = tuple(
        f.replace(_OPEN, MARK).replace(_CLOSE, MARK).replace(_PHRASE_SEPARATOR, '; ')
        for f in (name, text, usage) if _OPEN in f)
    return replace(Skill.from_json(json.loads(record)), highlights=highlights)


_default: Catalog | None = None
_default_lock = threading.Lock()


def default_catalog() -> Catalog:
    """Return the process-wide catalog of the shipped data, building it on first use.

    Building takes milliseconds, but doing it lazily keeps importing the skill free of I/O, and
    sharing one instance keeps every request thread on the same index.
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = Catalog()
        return _default
