"""Example skills built with alexafsm; each subpackage is a skill ``alexafsm serve`` can run."""
