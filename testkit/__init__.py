"""The test kit shared by tests/ and benchmarks/: a fake Telegram Bot API and benchmark helpers.

Never shipped: it stays out of ``[tool.setuptools.packages.find]``, so the installed bot
neither contains nor imports it. Tests find it because pytest puts the project root on
``sys.path``; the benchmarks put it there themselves.
"""
