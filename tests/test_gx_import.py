"""Great Expectations imported the way a gate imports it: without ``scipy.stats`` and ``altair``, which it loads
at import and uses only in an expectation mentorflow never runs, and with both still there for code that uses
them. Each check runs in a fresh interpreter, since what matters is what one import loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"

GATE_PROCESS = """
import json, sys, threading
import pandas as pd
from mentorflow.quality import expectations
from mentorflow.quality.expectations import Spec

frame = pd.DataFrame({"_row": [0, 1, 2], "hours": [2, 40, 5]})
spec = Spec("hours.range", "ExpectColumnValuesToBeBetween", {"column": "hours", "min_value": 0, "max_value": 20},
            reason=lambda row: "too many hours")
[result] = expectations.validate("test", frame, [spec])
loaded = {name: name in sys.modules for name in ("great_expectations", "scipy.stats._stats_py", "altair.vegalite")}

# code that does use them, later in the same process, gets the real modules, from eight threads at once
from scipy import stats
found = []
threads = [threading.Thread(target=lambda: found.append(stats.entropy([0.5, 0.5], [0.25, 0.75])))
           for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
import scipy.stats
import scipy.stats.contingency
import altair
chart = altair.Chart.__name__
print(json.dumps({
    "unexpected_rows": result.unexpected_rows, "loaded": loaded, "entropies": found,
    "real": [type(sys.modules[n]).__name__ for n in ("scipy.stats", "altair")],
    "same": scipy.stats is sys.modules["scipy.stats"] and scipy.stats.entropy is stats.entropy,
    "chart": chart, "contingency": hasattr(scipy.stats.contingency, "crosstab"),
}))
"""

ALREADY_IMPORTED = """
import json, sys
import scipy.stats
real = sys.modules["scipy.stats"]
from mentorflow.quality.gx_import import import_great_expectations
import_great_expectations()
print(json.dumps({"kept": sys.modules["scipy.stats"] is real}))
"""


def _run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(PLUGINS), "PATH": "/usr/bin:/bin", "GX_ANALYTICS_ENABLED": "False"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_gate_runs_without_importing_scipy_stats_or_altair_and_both_still_work_when_used():
    found = _run(GATE_PROCESS)
    assert found["unexpected_rows"] == [1]
    assert found["loaded"] == {"great_expectations": True, "scipy.stats._stats_py": False, "altair.vegalite": False}
    assert len(found["entropies"]) == 8 and len({round(e, 12) for e in found["entropies"]}) == 1
    assert abs(found["entropies"][0] - 0.1438410362258904) < 1e-12
    assert found["real"] == ["module", "module"]
    assert found["same"] and found["chart"] == "Chart" and found["contingency"]


def test_a_module_already_imported_is_left_as_it_is():
    assert _run(ALREADY_IMPORTED) == {"kept": True}
