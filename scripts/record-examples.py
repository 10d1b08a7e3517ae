#!/usr/bin/env python3
"""Re-record the example skills' playback recordings from their stories.

Each story file ``skills/NAME/stories/TOPIC.story.yaml`` is recorded as
``skills/NAME/recordings/TOPIC.jsonl``: its stories are played against the skill through
``Conversation(record_to=...)``, each story as a user of its own and all of them sharing one
fresh in-memory store, which is how ``playback`` replays the file. The clock and the request,
session and user ids are derived from the file's name and the turn's place in it, so recording
an unchanged skill writes the same bytes and ``git diff`` shows only what a change of the skill
changed. A file with a failing story keeps its old recording: fix the skill or the story first.

From the repository root::

    .venv/bin/python scripts/record-examples.py            # every example skill
    .venv/bin/python scripts/record-examples.py pizza      # skills/pizza only
    .venv/bin/python scripts/record-examples.py --check    # exit 1 if a recording is stale
"""
import filecmp
import itertools
import os
import sys
import tempfile
import uuid
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from typing import Callable
from typing import List
from typing import Sequence
from typing import Tuple

import click

ROOT = Path(__file__).resolve().parents[1]
SKILLS = ROOT / 'skills'
if str(ROOT) not in sys.path:  # the example skills live in the checkout, not in site-packages
    sys.path.insert(0, str(ROOT))

from alexafsm.loader import PolicyLoadError  # noqa: E402
from alexafsm.loader import load_policy  # noqa: E402
from alexafsm.persistence import MemoryStore  # noqa: E402
from alexafsm.testing.stories import StoryError  # noqa: E402
from alexafsm.testing.stories import StoryResult  # noqa: E402
from alexafsm.testing.stories import load_stories  # noqa: E402
from alexafsm.testing.stories import run_story  # noqa: E402
from alexafsm.tools.interaction_model import ModelError  # noqa: E402
from alexafsm.tools.interaction_model import load_model  # noqa: E402

STORY_SUFFIX = '.story.yaml'
START = datetime(2024, 5, 1, 18, 0, tzinfo=timezone.utc)
SECONDS_PER_TURN = 7


def story_files(skills: Sequence[str] = ()) -> List[Path]:
    """The story files of the named example skills (all of them when none is named)."""
    known = sorted(p.name for p in SKILLS.iterdir() if (p / 'stories').is_dir())
    files = []
    for name in skills or known:
        if name not in known:
            raise click.BadParameter(f"skills/{name} has no stories/ folder; the example skills "
                                     f"with stories are {', '.join(known)}", param_hint='SKILL')
        files += sorted((SKILLS / name / 'stories').glob(f'*{STORY_SUFFIX}'))
    return files


def recording_for(story_file: Path) -> Path:
    """Where a story file's recording is kept: next to stories/, under recordings/."""
    topic = story_file.name[:-len(STORY_SUFFIX)]
    return story_file.parent.parent / 'recordings' / f'{topic}.jsonl'


def record(story_file: Path, target: Path) -> List[StoryResult]:
    """Record every story of ``story_file`` into ``target``; the failing stories, if any.

    ``target`` is replaced only when every story passes, so a failing story never leaves a
    half-written recording for playback to trust.
    """
    stories = load_stories(story_file)
    if not stories.skill:
        raise StoryError(f"{story_file}: the story file does not say which skill to record: add "
                         f"a top-level 'skill: package.module:PolicyClass'")
    policy_cls = load_policy(stories.skill)
    model = load_model(stories.model) if stories.model else None
    name = f'{story_file.parent.parent.name}/{story_file.name}'  # the same in every checkout
    store = MemoryStore()
    clock = _Clock(START, timedelta(seconds=SECONDS_PER_TURN))
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=target.parent, prefix=f'.{target.name}.')
    os.close(handle)
    os.chmod(scratch, 0o644)  # as transcript.append_turn creates files: readable by all
    failed = []
    try:
        ids = _numbered_ids(name)
        for story in stories.stories:
            result = run_story(policy_cls, story, model=model, store=store, clock=clock,
                               ids=ids, user_id=_user_id(name, story.name), record_to=scratch)
            if not result.passed:
                failed.append(result)
        if not failed:
            os.replace(scratch, target)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return failed


def stale_recordings(files: Sequence[Path]) -> Tuple[List[Path], List[StoryResult]]:
    """The recordings that differ from what their stories record now, and the failing stories.

    CI and the tests call this: a recording that is not what the script writes means someone
    changed a story or the skill without re-recording.
    """
    stale, failed = [], []
    with tempfile.TemporaryDirectory() as folder:
        for story_file in files:
            fresh = Path(folder) / f'{story_file.parent.parent.name}-{story_file.name}.jsonl'
            problems = record(story_file, fresh)
            failed += problems
            committed = recording_for(story_file)
            if not problems and not (committed.exists()
                                     and filecmp.cmp(fresh, committed, shallow=False)):
                stale.append(committed)
    return stale, failed


@click.command()
@click.argument('skills', nargs=-1, metavar='[SKILL]...')
@click.option('--check', is_flag=True,
              help='Record into a temporary folder and exit 1 if a recording differs.')
def main(skills: Tuple[str, ...], check: bool) -> None:
    """Re-record the playback recordings of the example skills (the folders under skills/)
    from their stories, so an intended change of what a skill says can be committed."""
    files = story_files(skills)
    try:
        _run(files, check)
    except (StoryError, ModelError, PolicyLoadError) as error:
        raise click.ClickException(str(error)) from None


def _run(files: Sequence[Path], check: bool) -> None:
    if check:
        stale, failed = stale_recordings(files)
        _report_failures(failed)
        for path in stale:
            click.echo(f"{path.relative_to(ROOT)} is not what its stories record now: run "
                       f".venv/bin/python scripts/record-examples.py and review the diff")
        if stale or failed:
            sys.exit(1)
        click.echo(f"all {len(files)} recordings are up to date")
        return
    failed_files = 0
    for story_file in files:
        target = recording_for(story_file)
        failed = record(story_file, target)
        _report_failures(failed)
        if failed:
            failed_files += 1
            click.echo(f"{target.relative_to(ROOT)} left as it was: fix the failing stories "
                       f"above (or the skill) and record again\n")
        else:
            with open(target, encoding='utf-8') as lines:
                turns = sum(1 for _ in lines)
            click.echo(f"recorded {target.relative_to(ROOT)}: {turns} turns")
    sys.exit(1 if failed_files else 0)


class _Clock:
    """A clock that moves on a few seconds per request, from a fixed start."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.ticks = itertools.count()
        self.start = start
        self.step = step

    def __call__(self) -> datetime:
        return self.start + next(self.ticks) * self.step


def _numbered_ids(recording: str) -> Callable[[str], str]:
    """Request and session ids numbered within the recording instead of drawn at random.

    Still unique across recordings (the recording's name is part of each) and shaped like
    Alexa's, so playback tells the sessions apart as it would real ones.
    """
    counters = {'request': itertools.count(1), 'session': itertools.count(1)}

    def new_id(kind: str) -> str:
        name = f'{recording}#{kind}-{next(counters[kind])}'
        return f'amzn1.echo-api.{kind}.{uuid.uuid5(uuid.NAMESPACE_URL, name)}'

    return new_id


def _user_id(recording: str, story: str) -> str:
    name = f'{recording}#{story}'
    return f'amzn1.ask.account.{uuid.uuid5(uuid.NAMESPACE_URL, name).hex.upper()}'


def _report_failures(failed: Sequence[StoryResult]) -> None:
    for result in failed:
        click.echo(result.report() + '\n', err=True)


if __name__ == '__main__':
    main()
