"""What everyone without a one-to-one partner can be offered (issue "Nobody left behind").

- :mod:`.fit`: the matcher's own scores and hard rules for any people we want to put together;
- :mod:`.circles`: mentoring circles around mentors who volunteered (a PuLP model);
- :mod:`.written`: async (written) mentoring by mentors who gave a monthly budget;
- :mod:`.reasons`: why someone has no one-to-one partner, said plainly.

Decide only: plain data in, plain data out (the stage :mod:`mentorflow.stages.alternatives` loads and
applies). PuLP and SciPy load with :mod:`.circles` and :mod:`.written`; the stage imports them when it runs.
"""
