"""Choosing the email backend a cohort asked for (``sender.backend``, ``sender.conn_id``).

Called inside tasks only: an Airflow connection is read at task run time, never at DAG parse time.
"""

from __future__ import annotations

from mentorflow import settings
from mentorflow.errors import ProviderConfigError
from mentorflow.messaging.backends import EmailBackend, OutboxBackend


def backend_for(config) -> EmailBackend:
    """The backend named in the cohort's ``sender`` section (the outbox folder by default)."""
    sender = config.sender
    if sender.backend == "outbox":
        return OutboxBackend(settings.outbox_dir(config.cohort))
    if sender.backend == "smtp":
        from mentorflow.messaging.smtp_backend import (
            SmtpBackend,  # lazy: a provider's client loads only where a cohort uses it
        )

        return SmtpBackend(smtp_settings(sender.conn_id))
    if sender.backend == "sendgrid":
        from mentorflow.messaging.sendgrid_backend import (
            SendGridBackend,  # lazy: a provider's client loads only where a cohort uses it
        )

        host, api_key = sendgrid_settings(sender.conn_id)
        if not api_key:
            raise ProviderConfigError(
                f"cohort {config.cohort}: sender.backend is sendgrid but no API key was found: set the password "
                f"of Airflow connection {sender.conn_id!r}" if sender.conn_id else
                f"cohort {config.cohort}: sender.backend is sendgrid but no API key was found: set sender.conn_id "
                f"to an Airflow connection (password = API key) or MENTORFLOW_SENDGRID_API_KEY")
        return SendGridBackend(api_key, host)
    raise ProviderConfigError(f"cohort {config.cohort}: unknown sender.backend {sender.backend!r}")


def _connection(conn_id: str):
    from airflow.sdk import BaseHook

    return BaseHook.get_connection(conn_id)


def smtp_settings(conn_id: str | None):
    """Host, port, login and password from the Airflow connection, else MENTORFLOW_SMTP_* (mail catcher)."""
    from mentorflow.messaging.smtp_backend import (
        SmtpSettings,  # lazy: a provider's client loads only where a cohort uses it
    )

    if conn_id:
        conn = _connection(conn_id)
        extra = conn.extra_dejson or {}
        return SmtpSettings(host=conn.host or "127.0.0.1", port=int(conn.port or 25), login=conn.login or None,
                            password=conn.password or None, starttls=_flag(extra.get("starttls")),
                            ssl=_flag(extra.get("ssl")))
    current = settings.current()
    return SmtpSettings(host=current.smtp_host, port=current.smtp_port, login=current.smtp_login or None,
                        password=_secret(current.smtp_password), starttls=current.smtp_starttls)


def sendgrid_settings(conn_id: str | None) -> tuple[str, str | None]:
    """(API base URL, API key) from the Airflow connection (host, password), else MENTORFLOW_SENDGRID_*."""
    from mentorflow.messaging.sendgrid_backend import (
        DEFAULT_HOST,  # lazy: a provider's client loads only where a cohort uses it
    )

    if conn_id:
        conn = _connection(conn_id)
        host = conn.host or ""
        if host and "://" not in host:
            host = f"{conn.schema or 'https'}://{host}" + (f":{conn.port}" if conn.port else "")
        return host or DEFAULT_HOST, conn.password or None
    current = settings.current()
    return current.sendgrid_host or DEFAULT_HOST, _secret(current.sendgrid_api_key)


def _secret(value) -> str | None:
    """A secret's text, or None when it is unset or empty."""
    return (value.get_secret_value() if value is not None else "") or None


def _flag(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}
