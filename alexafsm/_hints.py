"""Which known name a misspelt one meant: the one "did you mean" rule of the package.

Validation, the interaction model, stories and hosting all answer a name they do not know with
the closest one they do, so a typo costs the author one glance instead of a search. They ask
here, so the same typo gets the same suggestion from every tool. Core-level and internal: every
layer may import it, and it is no part of the public surface.
"""
import difflib
from typing import Iterable
from typing import Optional
from typing import Union

__all__ = ['closest', 'did_you_mean', 'name_fix']

# A typo keeps most letters in order: 'which_fod', 'AMAZON.YesIntnet' and 'stat' score 0.89
# and more against what they meant. difflib's default of 0.6 also pairs different names that
# share a pattern ('LIST_OF_STATES' and 'LIST_OF_CITIES' score 0.79, 'amount' and 'count' 0.73),
# and a confident wrong suggestion sends the author to rename the wrong thing.
_CUTOFF = 0.8


def closest(name: str, known: Iterable[str]) -> Optional[str]:
    """The known name ``name`` most likely means, or None when none is close.

    A name equal but for case wins over every other ('city' means 'City'), since that is the
    commonest slip and difflib's ratio would rank it no higher than a different name.
    """
    known = list(known)
    folded = name.casefold()
    for candidate in known:
        if candidate.casefold() == folded:
            return candidate
    close = difflib.get_close_matches(name, known, n=1, cutoff=_CUTOFF)
    return close[0] if close else None


def did_you_mean(names: Union[str, Iterable[str]], known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` to append after the unknown name(s), or '' when none is close.

    With several unknown names, each close one is suggested once, in order.
    """
    known = list(known)
    guesses = []
    for name in [names] if isinstance(names, str) else names:
        guess = closest(name, known)
        if guess is not None and guess not in guesses:
            guesses.append(guess)
    return f" (did you mean {', '.join(repr(g) for g in guesses)}?)" if guesses else ''


def name_fix(name: str, known: Iterable[str], correct: str, otherwise: str) -> str:
    """The fix for a name that is not what it should be: correct a typo, else ``otherwise``.

    When a known name is close, the name is a typo and the fix is to correct it (``correct``
    says where, e.g. "in the transition's 'conditions'"), never the ``otherwise`` fix (such as
    "add 'def m_has_mroe(self)'"), which would make the misspelling a second name. Validation
    and the machine's run-time errors both answer this way.
    """
    meant = closest(name, known)
    if meant is None:
        return otherwise
    return f"did you mean '{meant}'? Correct '{name}' to '{meant}' {correct}"
