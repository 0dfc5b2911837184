"""Data-quality gates: Great Expectations suites at every hand-off between lifecycle stages.

Import the submodules you need: :mod:`.catalogue` is light (config validation uses it at DAG parse
time); :mod:`.gate` and :mod:`.suites` import Great Expectations lazily, inside the tasks.
"""
