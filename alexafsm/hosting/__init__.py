"""Hosting: serve a skill over HTTP with Flask (verified), or from AWS Lambda.

``create_app`` is loaded on first use so that a Lambda function, which only needs
``lambda_handler``, never imports Flask.
"""
from importlib import import_module
from typing import Any

from alexafsm.hosting.aws_lambda import RejectedRequest, lambda_handler
from alexafsm.hosting.verify import RequestVerifier, VerificationError

__all__ = ['create_app', 'lambda_handler', 'RequestVerifier', 'VerificationError',
           'RejectedRequest']


def __getattr__(name: str) -> Any:
    if name == 'create_app':
        return import_module('alexafsm.hosting.flask_app').create_app
    raise AttributeError(f"module 'alexafsm.hosting' has no attribute {name!r}")
