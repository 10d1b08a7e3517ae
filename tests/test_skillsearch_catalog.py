"""The Skill Search catalog: shipped data, FTS5 search behaviour, persistence and thread safety."""
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from skills.skillsearch.catalog import DEFAULT_DATA
from skills.skillsearch.catalog import Catalog
from skills.skillsearch.catalog import SearchResult
from skills.skillsearch.catalog import Skill
from skills.skillsearch.catalog import default_catalog
from skills.skillsearch.catalog import load_skills
from skills.skillsearch.catalog import query_terms

CATEGORIES = {
    'Food & Drink', 'Health & Fitness', 'Games & Trivia', 'Music & Audio', 'News',
    'Education & Reference', 'Lifestyle', 'Productivity', 'Travel & Transportation', 'Shopping',
    'Smart Home', 'Kids', 'Weather', 'Sports', 'Business & Finance', 'Novelty & Humor',
    'Utilities', 'Movies & TV', 'Local', 'Communication',
}
FIELDS = {'id': str, 'name': str, 'creator': str, 'category': str, 'description': str,
          'short_description': str, 'usage_phrases': list, 'avg_rating': float,
          'num_ratings': int, 'image_url': str}


@pytest.fixture(scope='module')
def records() -> list[dict]:
    lines = DEFAULT_DATA.read_text(encoding='utf-8').splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope='module')
def catalog() -> Catalog:
    return Catalog()


def record(skill_id: str, name: str, description: str, **overrides) -> dict:
    base = {'id': skill_id, 'name': name, 'creator': 'Test Maker', 'category': 'Food & Drink',
            'description': description, 'short_description': description,
            'usage_phrases': [f'Alexa, ask {name} to help'], 'avg_rating': 4.0,
            'num_ratings': 10, 'image_url': f'https://example.com/{skill_id}.png'}
    return base | overrides


def write_catalog(path: Path, rows: list[dict]) -> Path:
    path.write_text(''.join(json.dumps(r) + '\n' for r in rows), encoding='utf-8')
    return path


def names(result: SearchResult) -> list[str]:
    return [s.name for s in result.skills]


# --- the shipped data -------------------------------------------------------------------------

def test_data_has_enough_unique_skills(records):
    assert len(records) >= 220
    assert len({r['id'] for r in records}) == len(records)
    assert len({r['name'].lower() for r in records}) == len(records)


def test_every_record_has_the_required_fields_with_sane_values(records):
    for r in records:
        for key, kind in FIELDS.items():
            assert type(r[key]) is kind, (r['id'], key)
        assert re.fullmatch(r'[a-z0-9]+(-[a-z0-9]+)*', r['id']), r['id']
        assert r['category'] in CATEGORIES, r['id']
        assert 1.0 <= r['avg_rating'] <= 5.0 and round(r['avg_rating'], 1) == r['avg_rating']
        assert r['num_ratings'] >= 0
        assert r['image_url'].startswith('https://example.com/')
        assert len(re.findall(r'[.!?](?:\s|$)', r['short_description'])) == 1, r['id']
        assert 2 <= len(re.findall(r'[.!?](?:\s|$)', r['description'])) <= 4, r['id']
        assert 2 <= len(r['usage_phrases']) <= 3, r['id']
        for phrase in r['usage_phrases']:
            assert phrase.startswith('Alexa, ') and r['name'] in phrase, phrase


def test_data_is_varied(records):
    assert len({r['category'] for r in records}) >= 15
    assert len({r['creator'] for r in records}) >= 20
    assert any(r['num_ratings'] == 0 for r in records)
    assert len({r['avg_rating'] for r in records}) >= 20


def test_data_describes_skill_search_itself(records):
    (entry,) = [r for r in records if r['name'] == 'Skill Search']
    assert entry['creator'] == 'Allen AI'


def test_load_skills_reports_the_bad_line(tmp_path):
    good = json.dumps(record('ok', 'Fine', 'Fine skill. Really fine.'))
    path = tmp_path / 'bad.jsonl'
    path.write_text(good + '\n\n{"id": "broken"}\n', encoding='utf-8')
    with pytest.raises(ValueError, match=r'bad\.jsonl:3'):
        load_skills(path)


def test_load_skills_rejects_duplicate_ids(tmp_path):
    row = record('twice', 'Twice', 'Same. Again.')
    path = write_catalog(tmp_path / 'dup.jsonl', [row, row | {'name': 'Other'}])
    with pytest.raises(ValueError, match='duplicate'):
        load_skills(path)


# --- searching the shipped catalog -----------------------------------------------------------

def test_order_pizza_strictly_finds_a_pizza_skill_first(catalog):
    result = catalog.search('how do I order pizza')
    assert result.strict and result.terms == ('order', 'pizza')
    assert 'Pizza' in result.skills[0].name
    assert all('pizza' in json.dumps(s.to_json()).lower() for s in result.skills)


def test_meditate_matches_meditation_through_stemming(catalog):
    result = catalog.search('I want to meditate')
    top = result.skills[0]
    assert result.strict and 'Meditation' in top.name
    assert top.highlights[0] == top.name.replace('Meditation', '*Meditation*')


@pytest.mark.parametrize('query, expected', [
    ('I want to buy flowers', 'Flowers'),
    ('get a ride', 'Rides'),
    ('cat facts', 'Cat Facts'),
    ('sleep', 'Sleep'),
    ('tell me jokes', 'Joke'),
])
def test_everyday_requests_find_a_fitting_skill(catalog, query, expected):
    result = catalog.search(query)
    assert result.strict
    assert any(expected in name for name in names(result)[:3]), names(result)


def test_search_for_skills_finds_skill_search(catalog):
    result = catalog.search('search for skills')
    assert result.skills[0].name == 'Skill Search'


def test_skill_is_only_a_filler_word_next_to_a_topic(catalog):
    assert query_terms('find me a skill to order pizza') == ('order', 'pizza')
    assert query_terms('skills') == ('skills',)
    assert 'Skill Search' not in names(catalog.search('find me a skill to order pizza'))


def test_partial_match_falls_back_to_any_word_and_says_so(catalog):
    assert catalog.search('pizza unicorn', limit=50).total == catalog.search('pizza unicorn').total
    result = catalog.search('pizza unicorn spaceship')
    assert not result.strict
    assert result.total == catalog.search('pizza').total
    assert 'Pizza' in result.skills[0].name


def test_relaxed_ranking_prefers_skills_matching_more_words(catalog):
    result = catalog.search('pizza garlic unicorn', limit=50)
    assert not result.strict
    assert result.skills[0].name == 'Crust Courier'  # the only one with both pizza and garlic


def test_nothing_found_is_not_strict(catalog):
    result = catalog.search('xylophone zeppelin')
    assert (result.total, result.skills, result.strict) == (0, [], False)


def test_limit_caps_skills_but_not_total(catalog):
    result = catalog.search('news', limit=3)
    assert len(result.skills) == 3 and result.total > 3
    assert catalog.search('news', limit=0) == SearchResult(result.total, [], True, ('news',))
    assert names(catalog.search('news', limit=10))[:3] == names(result)
    with pytest.raises(ValueError):
        catalog.search('news', limit=-1)


@pytest.mark.parametrize('query', ['how do I', 'I want to', 'a AND', '', '   ', '🍕🧘', '"', '*'])
def test_queries_without_topic_words_return_empty(catalog, query):
    assert catalog.search(query) == SearchResult(0, [], False, ())


@pytest.mark.parametrize('query, plain', [
    ('"pizza', 'pizza'), ('pizza*', 'pizza'), ('-pizza', 'pizza'), ('^pizza', 'pizza'),
    ('(pizza', 'pizza'), ('pizza\x00', 'pizza'), ('pizza AND', 'pizza'),
    ('name:pizza', 'name pizza'), ('{name}: pizza', 'name pizza'),
    ('NEAR(pizza order)', 'near pizza order'), ('pizza" OR "garlic', 'pizza or garlic'),
    ("pizza'; DROP TABLE skills; --", 'pizza drop table skills'),
])
def test_fts_syntax_in_queries_is_searched_as_plain_words(catalog, query, plain):
    result = catalog.search(query)
    assert result == catalog.search(plain)
    assert result.total > 0


@pytest.mark.parametrize('query', ['NEAR(', 'crème brûlée', 'x' * 500, ' '.join(['pizza'] * 100),
                                   ' '.join(f'word{i}' for i in range(100)), '\u200b\u2028'])
def test_odd_queries_never_raise(catalog, query):
    result = catalog.search(query)
    assert len(result.skills) <= 6 and result.total >= 0
    assert len(result.terms) <= 16


def test_highlights_mark_matched_words_in_plain_text(catalog):
    skill = catalog.search('order pizza').skills[0]
    assert skill.highlights and all('*' in h for h in skill.highlights)
    assert all('<' not in h and '\x02' not in h for h in skill.highlights)
    assert '*pizza*' in ' '.join(skill.highlights).lower()
    name, pitch, usage = skill.highlights  # the description repeats the pitch, so it is left out
    assert name.replace('*', '') == skill.name and pitch.replace('*', '') == skill.short_description
    assert usage.startswith('Alexa, ask')


def test_get_returns_the_catalog_entry_without_highlights(catalog):
    skill = catalog.get('skill-search')
    assert skill is not None and skill.name == 'Skill Search' and skill.highlights == ()
    assert catalog.get('no-such-skill') is None


def test_every_shipped_skill_is_indexed(catalog, records):
    assert len(catalog) == len(records)
    assert catalog.get(records[-1]['id']).to_json() == records[-1] | {'highlights': []}


# --- ranking, on a catalog small enough to reason about --------------------------------------

def test_name_match_outranks_description_only_match(tmp_path):
    # Without the name weight the short, pizza-dense, far more popular description would win.
    rows = [
        record('dinner-delivery', 'Dinner Delivery',
               'Pizza, pizza and more pizza. Hot pizza nightly.',
               short_description='Dinner at your door.', num_ratings=9000),
        record('crust', 'Crust Pizza Kitchen',
               'Order dinner for delivery. Hot and fast food every night of the week.',
               short_description='Dinner at your door.', num_ratings=1),
    ] + [record(f'other-{i}', f'Other {i}', 'Unrelated words. Nothing to see.') for i in range(4)]
    data = write_catalog(tmp_path / 'tiny.jsonl', rows)
    with Catalog(data_path=data) as tiny:
        result = tiny.search('pizza')
        assert result.total == 2
        assert names(result) == ['Crust Pizza Kitchen', 'Dinner Delivery']


def test_equal_scores_are_ordered_by_popularity_then_id(tmp_path):
    rows = [record(i, f'Same {n}', 'Identical words here. Nothing else.', num_ratings=r)
            for i, n, r in [('b', 'B', 5), ('a', 'A', 5), ('c', 'C', 50)]]
    with Catalog(data_path=write_catalog(tmp_path / 'tie.jsonl', rows)) as tiny:
        assert [s.id for s in tiny.search('identical').skills] == ['c', 'a', 'b']


# --- JSON round trips -------------------------------------------------------------------------

def test_skill_round_trips_through_json_with_highlights(catalog):
    skill = catalog.search('cat facts').skills[0]
    assert skill.highlights
    wire = json.loads(json.dumps(skill.to_json()))
    assert isinstance(wire['usage_phrases'], list) and isinstance(wire['highlights'], list)
    assert Skill.from_json(wire) == skill


def test_search_result_round_trips_through_json(catalog):
    result = catalog.search('pizza unicorn')
    assert SearchResult.from_json(json.loads(json.dumps(result.to_json()))) == result


def test_from_json_rejects_a_string_where_a_list_belongs():
    with pytest.raises(TypeError):
        Skill.from_json(record('x', 'X', 'X. Y.', usage_phrases='Alexa, ask X to go'))


# --- on-disk index ----------------------------------------------------------------------------

def test_on_disk_index_is_reused_until_the_data_changes(tmp_path):
    rows = [record('alpha', 'Alpha Pizza', 'Pizza by voice. Quick.'),
            record('beta', 'Beta Tea', 'Tea timers. Calm.')]
    data = write_catalog(tmp_path / 'data.jsonl', rows)
    db = tmp_path / 'index.sqlite3'

    with Catalog(db, data) as first:
        assert first.built and len(first) == 2
        before = first.search('pizza')
    with Catalog(db, data) as again:
        assert not again.built
        assert again.search('pizza') == before

    copy = write_catalog(tmp_path / 'copy.jsonl', rows)
    with Catalog(db, copy) as same_content:
        assert not same_content.built

    write_catalog(data, rows + [record('gamma', 'Gamma Pizza', 'More pizza. Faster.')])
    with Catalog(db, data) as changed:
        assert changed.built and len(changed) == 3
        assert changed.search('pizza').total == 2
        assert changed.get('gamma').name == 'Gamma Pizza'


def test_failed_rebuild_keeps_the_old_index(tmp_path):
    data = write_catalog(tmp_path / 'data.jsonl', [record('alpha', 'Alpha', 'One. Two.')])
    db = tmp_path / 'index.sqlite3'
    Catalog(db, data).close()
    data.write_text('not json\n', encoding='utf-8')
    with pytest.raises(ValueError):
        Catalog(db, data)
    write_catalog(data, [record('alpha', 'Alpha', 'One. Two.')])
    with Catalog(db, data) as reopened:
        assert not reopened.built and reopened.get('alpha') is not None


# --- process-wide default and concurrency -----------------------------------------------------

def test_default_catalog_is_built_once_per_process(records):
    assert default_catalog() is default_catalog()
    assert len(default_catalog()) == len(records)


def test_building_the_shipped_index_is_fast():
    start = time.perf_counter()
    Catalog().close()
    assert time.perf_counter() - start < 1.0


def test_concurrent_searches_match_sequential_ones(catalog):
    queries = ['order pizza', 'meditate', 'buy flowers', 'sleep', 'news', 'pizza unicorn',
               'jokes', 'weather', 'get a ride', 'search for skills', '"', 'trivia games'] * 8

    def run(query: str) -> dict:
        return catalog.search(query, limit=5).to_json()

    sequential = [run(q) for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(run, queries)) == sequential
