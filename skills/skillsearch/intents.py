"""Skill Search's own intents; Amazon's built-in ones are in ``alexafsm.amazon_intent``."""

NEW_SEARCH = 'NewSearch'
NTH_SKILL = 'NthSkill'
PREVIOUS_SKILL = 'PreviousSkill'
NEXT_SKILL = 'NextSkill'
DESCRIBE_RATINGS = 'DescribeRatings'
