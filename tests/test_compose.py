"""The compose stack, checked without a Docker engine: structure, pins against the lock, secrets, init.

``docker compose`` cannot run on this machine kind, so these tests read docker-compose.yml,
the Dockerfile and .env.example, and run the init service's script against the local
PostgreSQL with the same environment variables the compose file gives it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                    "airflow-worker"}
_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)(:?-[^}]*)?\}")  # $${X} is the container's own


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _pin(package: str) -> str:
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower() == package:
            return version.strip()
    raise AssertionError(f"{package} is not pinned in constraints.txt")


def _env_example() -> dict[str, str]:
    pairs = [line.split("=", 1) for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    return {key.strip(): value.strip() for key, value in pairs}


def test_stack_has_every_service_of_the_topology(services):
    assert {"postgres", "redis", "mailpit", "airflow-init"} | AIRFLOW_SERVICES <= set(services)
    assert {services[name]["command"] for name in AIRFLOW_SERVICES} == {
        "api-server", "scheduler", "dag-processor", "triggerer", "celery worker"}


def test_every_service_is_health_checked_or_waits_for_a_healthy_one(services):
    for name, service in services.items():
        depends = service.get("depends_on", {})
        waits_for_healthy = any(d.get("condition") == "service_healthy" for d in depends.values())
        assert "healthcheck" in service or waits_for_healthy, f"{name}: no healthcheck and no healthy dependency"
        for target, rule in depends.items():
            assert target in services, f"{name} depends on unknown service {target}"
            assert target != name, f"{name} depends on itself"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}, which has no healthcheck"


def test_airflow_components_start_after_a_successful_init(services):
    assert "airflow-init" not in services["airflow-init"].get("depends_on", {})
    for name in AIRFLOW_SERVICES:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully", name
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy", name


def test_metadata_and_program_store_are_separate_databases(services):
    env = services["airflow-scheduler"]["environment"]
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[1]
    store = env["MENTORFLOW_STORE_URL"].rsplit("/", 1)[1]
    assert metadata == "${AIRFLOW_METADATA_DB}" and store == "${MENTORFLOW_STORE_DB}"
    example = _env_example()
    assert example["AIRFLOW_METADATA_DB"] != example["MENTORFLOW_STORE_DB"]
    assert env["AIRFLOW_CONN_MENTORFLOW_STORE"].endswith("/${MENTORFLOW_STORE_DB}")
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")


def test_project_folders_are_mounted_where_airflow_and_mentorflow_look(services):
    env = services["airflow-worker"]["environment"]
    mounts = dict(v.split(":")[:2] for v in services["airflow-worker"]["volumes"] if v.startswith("./"))
    assert mounts["./dags"] == env["AIRFLOW__CORE__DAGS_FOLDER"]
    assert mounts["./plugins"] == env["AIRFLOW__CORE__PLUGINS_FOLDER"]
    assert mounts["./include"] == env["MENTORFLOW_PROJECT_DIR"] + "/include"
    assert mounts["./cohorts"] == env["MENTORFLOW_COHORTS_DIR"]
    assert env["PYTHONPATH"] == env["AIRFLOW__CORE__PLUGINS_FOLDER"]
    for folder in ("dags", "plugins", "include"):
        assert (ROOT / folder).is_dir(), folder


def test_airflow_image_matches_the_lock(services):
    base = re.search(r"^FROM\s+(\S+)", DOCKERFILE.read_text(encoding="utf-8"), re.M).group(1)
    image, tag = base.split(":")
    assert image == "apache/airflow"
    airflow_version, python = tag.split("-python")
    assert airflow_version == _pin("apache-airflow")
    assert python == "3.11" and '">=3.11,<3.12"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert services["airflow-worker"]["image"].endswith(":" + airflow_version)


def test_dockerfile_installs_requirements_with_the_constraints_file():
    text = DOCKERFILE.read_text(encoding="utf-8")
    copied = re.search(r"^COPY\s+(?:--\S+\s+)*requirements\.txt\s+constraints\.txt\s+(\S+)", text, re.M)
    assert copied, "the Dockerfile must copy requirements.txt and constraints.txt"
    target = copied.group(1).rstrip("/")
    install = re.search(r"^RUN pip install .*", text, re.M).group(0)
    assert f"-r {target}/requirements.txt" in install and f"-c {target}/constraints.txt" in install


def test_image_build_copies_existing_files_and_no_secrets():
    text = DOCKERFILE.read_text(encoding="utf-8")
    for line in re.findall(r"^COPY\s+(.*)$", text, re.M):
        sources = [part for part in line.split() if not part.startswith("--")][:-1]
        for source in sources:
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", "var", ".git"} <= set(ignored)


def test_service_images_are_pinned(services):
    for name in ("postgres", "redis", "mailpit"):
        image = services[name]["image"]
        assert ":" in image and "latest" not in image, f"{name}: {image} is not pinned"
        assert re.search(r":v?\d+\.\d+", image), f"{name}: {image} needs a major.minor (or finer) version tag"


def test_every_variable_comes_from_the_env_file(compose):
    used = {m.group(1) for m in _VARIABLE.finditer(COMPOSE.read_text(encoding="utf-8")) if not m.group(2)}
    defined = _env_example()
    assert used - set(defined) == set(), "variables without a value in .env.example"
    secrets = {k for k in defined if re.search(r"PASSWORD|SECRET|KEY", k)}
    assert secrets and all(defined[k].startswith("change-me") for k in secrets), "ship placeholders, not secrets"
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT).returncode == 0
    assert ignored, ".env must be gitignored"
    for name, service in compose["services"].items():
        for value in (service.get("environment") or {}).values():
            assert "change-me" not in str(value), f"{name} has a literal secret"


@pytest.mark.postgres
@pytest.mark.slow
def test_init_script_prepares_both_databases_and_the_login(tmp_path):
    """The init service's script against the local server: migrate, create the store, its migrations, admin login."""
    import sqlalchemy as sa
    from conftest import PG_ADMIN_URL, _postgres_reachable

    if reason := _postgres_reachable():
        pytest.skip(reason)
    suffix = uuid.uuid4().hex[:8]
    metadata_db, store_db = f"mf_init_meta_{suffix}", f"mf_init_store_{suffix}"
    server = PG_ADMIN_URL.rsplit("/", 1)[0]
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{metadata_db}"'))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__DATABASE")}
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"{server}/{metadata_db}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(tmp_path / "auth" / "passwords.json"),
        "AIRFLOW_ADMIN_USER": "ops", "AIRFLOW_ADMIN_PASSWORD": "init-test-password",
        "MENTORFLOW_STORE_DB": store_db, "MENTORFLOW_STORE_URL": f"{server}/{store_db}",
        "MENTORFLOW_HOME": str(tmp_path / "var"), "MENTORFLOW_COHORTS_DIR": str(tmp_path / "cohorts"),
        "PYTHONPATH": str(ROOT / "plugins"),
    })
    try:
        for attempt in (1, 2):  # the second run proves the script can be re-run on an initialised stack
            done = subprocess.run(["bash", str(ROOT / "docker" / "init" / "airflow-init.sh")], env=env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"run {attempt}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        assert "exists" in done.stdout
        store = sa.create_engine(f"{server}/{store_db}")
        with store.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        store.dispose()
        assert {"applications", "email_ledger", "alembic_version"} <= tables and "stage_runs" not in tables
        assert "already at revision" in done.stdout  # the second run found the store migrated
        meta = sa.create_engine(f"{server}/{metadata_db}")
        with meta.connect() as conn:
            assert conn.execute(sa.text("select count(*) from alembic_version")).scalar_one() == 1
        meta.dispose()
        login = tmp_path / "auth" / "passwords.json"
        assert json.loads(login.read_text()) == {"ops": "init-test-password"}
        assert login.stat().st_mode & 0o077 == 0
    finally:
        with admin.connect() as conn:
            for name in (metadata_db, store_db):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
