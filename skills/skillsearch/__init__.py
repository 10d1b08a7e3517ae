"""Skill Search: find Alexa skills by voice, alexafsm 0.1.11's example skill on an embedded catalog.

``alexafsm serve skills.skillsearch`` finds the one Policy subclass here.
"""
from skills.skillsearch.attributes import SessionAttributes
from skills.skillsearch.policy import SkillSearchPolicy
from skills.skillsearch.states import States

Policy = SkillSearchPolicy

__all__ = ['Policy', 'SkillSearchPolicy', 'States', 'SessionAttributes']
