"""alexafsm: Alexa custom skills as finite-state machines."""
from pathlib import Path

from setuptools import find_packages
from setuptools import setup

HERE = Path(__file__).parent

setup(
    name='alexafsm',
    version='0.2.0',
    description='Finite-state machine library for building complex Alexa conversations',
    long_description=(HERE / 'README.rst').read_text(encoding='utf-8'),
    long_description_content_type='text/x-rst',
    author='Allen AI',
    url='https://github.com/allenai/alexafsm',
    license='Apache-2.0',
    # the console's page and assets: a folder of data files, listed so setuptools ships it
    packages=find_packages(include=['alexafsm', 'alexafsm.*']) + ['alexafsm.console.static'],
    include_package_data=True,
    # PEP 561: the package's annotations are checked; `alexafsm new` copies its templates;
    # the console's page and assets
    package_data={'alexafsm': ['py.typed', 'cli/templates/new/*.tmpl'],
                  'alexafsm.console.static': ['*.html', '*.css', '*.js']},
    python_requires='>=3.9',  # functools.cache, pkgutil.resolve_name, dict[...] annotations
    install_requires=[
        'transitions>=0.9',
        'voicelabs>=0.0.10',
        'click>=8.1.3',
        'flask>=2.3',
        'cryptography>=42',
        'certifi',
        'graphviz>=0.20',
        'pyyaml>=6.0.1',
    ],
    extras_require={
        'redis': ['redis>=5.0'],
        # benchmarks/: Amazon's SDK as the peer column, and its Flask adapter for the endpoint
        'bench': ['ask-sdk-core>=1.19', 'flask-ask-sdk>=1.0', 'gunicorn>=22'],
        # the API reference: ./scripts/docs.sh (and ./scripts/test.sh) build it with Sphinx
        'docs': ['sphinx>=7.1'],
        # the production arrangement of the README: gunicorn's gevent worker holds a slow client
        # for the price of a greenlet, where a thread per connection runs out
        'production': ['gunicorn>=22', 'gevent>=24'],
        'test': [
            'pytest>=8',
            'ask-sdk-model>=1.80',
            'ask-sdk-core>=1.19',
            'flask-ask-sdk>=1.0',  # tests/test_benchmarks.py runs the bench extra's peers too
            'gunicorn>=22',
            'gevent>=24',  # tests/test_slow_clients.py runs the production arrangement
            'redis>=5.0',
            # ./scripts/test.sh runs both before pytest; configured in pyproject.toml
            'ruff>=0.6',
            'mypy>=1.11,<2',  # mypy 2 no longer checks for Python 3.9, which alexafsm supports
            'types-PyYAML',
            # the console's browser tests drive Debian's chromium (scripts/setup.sh installs it)
            'selenium>=4.20',
        ],
    },
    entry_points={
        'console_scripts': ['alexafsm = alexafsm.cli:main'],
        # named after its module: pytest refuses a plugin registered under two names
        'pytest11': ['alexafsm.testing.pytest_plugin = alexafsm.testing.pytest_plugin'],
    },
    classifiers=[
        'Development Status :: 4 - Beta',
        'Intended Audience :: Developers',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3.9',
        'Programming Language :: Python :: 3.10',
        'Programming Language :: Python :: 3.11',
        'Programming Language :: Python :: 3.12',
        'Programming Language :: Python :: 3.13',
    ],
    keywords='alexa skill finite-state machine fsm dialog',
)
