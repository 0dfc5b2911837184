"""Importing participants from other mentoring tools into mentorflow's data contract.

- :mod:`.mentor_match`: mentor-match's CSV layout turned into roster rows, application rows and cohort
  rules (pure functions over rows already read);
- :mod:`.files`: reading the source CSVs and the grades table, writing the result (owner-only files).
"""
