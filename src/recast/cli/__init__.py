"""The ``recast`` command: a thin shell over the library (parse, call, render).

One module per verb. Modules here import library code inside command functions,
so ``recast --help`` and ``recast models show`` start fast.
"""
