"""The dashboard application: HTML pages and the JSON API on one store.

``create_app`` is how the CLI, the tests and the benchmark all build it, so
they exercise the same middleware and routes. The routers of other areas
(alerts' subscriptions and Atom feeds, exports' jobs) are included when
their packages provide them, so the dashboard runs on its own too.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import plotly
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from dashboards import api, pages
from dashboards.security import LoginThrottle, SecurityHeadersMiddleware, secret_key
from policywatch.config import Settings, get_settings
from policywatch.store import connect

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
#: plotly.js as shipped inside the plotly Python package: served by us, never from a CDN
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
#: routers built by other areas, included when their modules exist
OPTIONAL_ROUTERS = ("alerts.web", "exports.web")
#: reviewer sessions last a working day
SESSION_SECONDS = 8 * 3600


def optional_modules() -> list[object]:
    """Each module in :data:`OPTIONAL_ROUTERS` that exists and has a ``router``.

    Only a missing module is skipped; a module that exists but fails to import
    is an error worth seeing, so it propagates.
    """
    modules = []
    for name in OPTIONAL_ROUTERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name in {name, name.split(".")[0]}:
                log.info("dashboard: %s not present, its routes are not served", name)
                continue
            raise
        if getattr(module, "router", None) is not None:
            modules.append(module)
    return modules


def share_store(app: FastAPI, module: object, settings: Settings) -> None:
    """Point another area's settings and engine dependencies at this app's store.

    Their routers read ``get_settings()`` by default; an app built with explicit
    settings (tests, the benchmark) must not let them open a different store.
    """
    overrides = {
        "get_alert_settings": lambda: settings,
        "export_engine": lambda: app.state.engine,
        "export_data_dir": lambda: settings.data_dir,
    }
    for name, provider in overrides.items():
        dependency = getattr(module, name, None)
        if dependency is not None:
            app.dependency_overrides[dependency] = provider


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the dashboard on the configured store (which must be migrated)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="PolicyWatch",
        summary="What government has said about children's social care, and where it "
        "contradicts itself, reverses, re-announces money or reacts.",
        version="1",
        # Swagger UI and ReDoc load scripts from a CDN and inline: not allowed
        # by our CSP nor offline. The schema itself is served.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = connect(settings)
    app.state.login_throttle = LoginThrottle()
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie="policywatch_session",
        max_age=SESSION_SECONDS,
        same_site="strict",
        https_only=settings.dashboard_https,
    )
    app.add_middleware(SecurityHeadersMiddleware)

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            PLOTLY_JS,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    for module in optional_modules():
        app.include_router(module.router)  # type: ignore[attr-defined]
        share_store(app, module, settings)
        if module.__name__ == "exports.web":  # the export form's pages need the exports area
            from dashboards.export_pages import router as export_pages

            app.include_router(export_pages)
    return app
