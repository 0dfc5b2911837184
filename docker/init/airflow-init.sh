#!/usr/bin/env bash
# One-shot init service: Airflow metadata, the program-store database and its migrations, the admin login.
# Safe to run again: every step is idempotent.
set -euo pipefail

: "${MENTORFLOW_STORE_DB:?set MENTORFLOW_STORE_DB in .env}"
: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD in .env}"
: "${MENTORFLOW_STORE_URL:?set by docker-compose.yml}"

echo "==> airflow db migrate"
airflow db migrate

echo "==> program store database ${MENTORFLOW_STORE_DB}"
python "$(dirname "$0")/create_database.py" "${MENTORFLOW_STORE_DB}"

echo "==> mentorflow db upgrade (program store migrations)"
python -m mentorflow.cli.main db upgrade --url "${MENTORFLOW_STORE_URL}"

echo "==> admin login for the simple auth manager"
python - <<'PY'
import json, os, pathlib
target = pathlib.Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
target.parent.mkdir(parents=True, exist_ok=True)
target.write_text(json.dumps({os.environ.get("AIRFLOW_ADMIN_USER", "admin"): os.environ["AIRFLOW_ADMIN_PASSWORD"]}))
target.chmod(0o600)
PY

mkdir -p "${MENTORFLOW_HOME}" "${MENTORFLOW_COHORTS_DIR}"
echo "==> init done"
