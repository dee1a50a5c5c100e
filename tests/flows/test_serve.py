"""`policywatch serve`: one deployment per source on its own cron, digests, clean Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from flows.serve import DIGESTS_CRON, build_deployments
from flows.stages import digests_flow_or_none
from policywatch.config import get_settings
from policywatch.errors import PolicyWatchError
from policywatch.registry import load_sources
from policywatch.store import make_engine
from policywatch.store.tables import Document, StageRun

SOURCES = """
[[source]]
key = "adcs-demo"
kind = "feed"
base_url = "{site}/sites/adcs"
feed_path = "/feed/"
publisher = "adcs"
schedule = "*/30 * * * *"

[[source]]
key = "kinship-demo"
kind = "sitemap"
base_url = "{site}/sites/kinship"
publisher = "kinship"
"""


def crons(deployment: object) -> list[str]:
    return [s.schedule.cron for s in deployment.schedules]  # type: ignore[attr-defined]


def test_each_source_is_crawled_on_its_own_schedule_then_processed(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES, encoding="utf-8")

    deployments = build_deployments(
        get_settings(), sources_file=sources, site_url="http://127.0.0.1:1"
    )

    by_name = {d.name: d for d in deployments}
    assert crons(by_name["crawl-adcs-demo"]) == ["*/30 * * * *"]
    assert crons(by_name["crawl-kinship-demo"]) == ["0 * * * *"]  # hourly when unset
    assert by_name["crawl-adcs-demo"].parameters == {
        "sources": ["adcs-demo"],
        "sources_file": str(sources),
        "site_url": "http://127.0.0.1:1",
    }
    assert by_name["crawl-adcs-demo"].flow_name == "pipeline"  # the pipeline runs after the crawl
    if digests_flow_or_none() is not None:
        # daily and weekly digests: one hourly check, each subscription on its own slot
        assert crons(by_name["digests"]) == [DIGESTS_CRON]


def test_a_bad_schedule_is_one_clear_error(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nkey = "x"\nkind = "feed"\nschedule = "hourly"\n')
    with pytest.raises(PolicyWatchError, match="'hourly'; use a 5-field cron expression"):
        load_sources(sources)


@pytest.mark.slow
def test_serve_registers_the_schedules_runs_the_pipeline_and_stops_cleanly_on_ctrl_c(
    prefect_api: str, fixture_site: str, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client

    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYWATCH_")}
    env.update(
        POLICYWATCH_DATA_DIR=str(tmp_path / "data"),
        PREFECT_API_URL=prefect_api,
        PREFECT_RUNNER_POLL_FREQUENCY="1",  # pick up the run below at once
        COLUMNS="200",
    )
    command = [sys.executable, "-m", "policywatch", "serve", "--sources-file", str(sources)]
    process = subprocess.Popen(
        [*command, "--site-url", fixture_site],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deployments: dict[str, Any] = {}
    deadline = time.monotonic() + 120
    while not {"crawl-adcs-demo", "crawl-kinship-demo"} <= set(deployments):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the deployments were never registered"
        time.sleep(0.5)
        with get_client(sync_client=True) as client:
            deployments = {d.name: d for d in client.read_deployments()}

    # what the cron would do at its hour: run the source's deployment now
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(deployments["crawl-kinship-demo"].id)
        while not (run := client.read_flow_run(run.id)).state.is_final():  # type: ignore[union-attr]
            assert time.monotonic() < deadline + 120, "the scheduled run never finished"
            time.sleep(1)
    assert run.state.is_completed(), run.state  # type: ignore[union-attr]
    assert run.name == "pipeline-kinship-demo"
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'policywatch.db'}")
    with Session(engine) as session:
        ran = select(StageRun.stage).where(StageRun.run_key == str(run.id))
        stages = session.exec(ran.order_by(StageRun.id)).all()  # type: ignore[arg-type]
        documents = session.exec(select(func.count()).select_from(Document)).one()
    engine.dispose()
    assert stages[:3] == ["crawl", "ingest", "annotate"] and documents > 0

    process.send_signal(signal.SIGINT)  # Ctrl-C
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    assert f"Prefect UI: {prefect_api.removesuffix('/api')}" in out
    assert "crawl-adcs-demo  */30 * * * *" in out
    assert out.rstrip().endswith("Stopped.")
    assert "Traceback" not in err
