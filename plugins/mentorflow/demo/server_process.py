"""The demo's Airflow API server process: ``python -m mentorflow.demo.server_process api-server …`` is Airflow's
command line (``python -m airflow …``) with garbage collection fitted to a process that imports a million
long-lived objects (Airflow, its providers, FastAPI) and then serves a few requests.

- The youngest generation is collected less often, as in the demo's own process (:mod:`.collecting`): the boot
  makes far more objects than it discards, and each of the thousands of collections it triggered walked them again.
- At exit everything left is frozen (``gc.freeze``, as the demo's own process does): the interpreter then frees
  memory without walking it, and a stop takes a fraction of a second instead of seconds.
"""

from __future__ import annotations

import atexit
import gc
import sys

from mentorflow.demo.collecting import fewer_collections


def main() -> None:
    fewer_collections()
    atexit.register(gc.freeze)  # registered first, so it runs last, after Airflow's own exit handlers
    sys.argv[0] = "airflow"  # Airflow's usage and error messages name its own command
    from airflow.__main__ import main as airflow

    airflow()


if __name__ == "__main__":
    main()
