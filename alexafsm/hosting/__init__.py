"""Hosting: serve a skill over HTTP with Flask (verified), or from AWS Lambda.

Every name loads on first use: a Lambda function, which only needs ``lambda_handler``, never
imports Flask, nor the request verification with ``cryptography``, ``certifi`` and ``ssl``
(a quarter of the import time of a cold start), since Amazon exempts Lambda from signatures.
"""
from importlib import import_module
from typing import Any

_LAZY = {
    'create_app': 'alexafsm.hosting.flask_app',
    'lambda_handler': 'alexafsm.hosting.aws_lambda',
    'RejectedRequest': 'alexafsm.hosting.endpoint',
    'RequestVerifier': 'alexafsm.hosting.verify',
    'VerificationError': 'alexafsm.hosting.checks',
}

__all__ = ['create_app', 'lambda_handler', 'RequestVerifier', 'VerificationError',
           'RejectedRequest']


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'alexafsm.hosting' has no attribute {name!r}")
    return getattr(import_module(module), name)
