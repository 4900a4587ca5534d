"""Scrapyd's JSON API, the calls sokbo makes of a crawl node: its load and spiders,
starting a job, following it and cancelling it. Every failure is a ScrapydError whose
message is one line (the node, the call and what went wrong)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

# The Scrapy project a node runs sokbo's spiders as (its scrapyd.conf: [settings] sokbo =
# sokbo.crawl.settings).
PROJECT = "sokbo"
# How long a node may take to list the project's spiders (a cold node starts Python and
# imports Scrapy to answer; Scrapyd answers nothing else meanwhile).
LIST_SECONDS = 60.0


class ScrapydError(Exception):
    """A call to a Scrapyd node failed: unreachable, refused, or answered with an error."""


@dataclass(frozen=True)
class Load:
    """What a node is doing (daemonstatus.json)."""

    running: int
    pending: int


@dataclass(frozen=True)
class Job:
    """One job as listjobs.json shows it; `state` is pending, running or finished."""

    id: str
    spider: str
    state: str
    pid: int | None = None


class Scrapyd:
    """One node, by its base URL (`http://crawl-1:6800`), with optional basic auth."""

    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._auth: str | None = None
        if username is not None:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
            self._auth = f"Basic {token}"

    def load(self) -> Load:
        answer = self._call("daemonstatus.json")
        return Load(int(answer.get("running", 0)), int(answer.get("pending", 0)))

    def schedule(
        self,
        spider: str,
        arguments: dict[str, str],
        settings: dict[str, str] | None = None,
        job_id: str | None = None,
    ) -> str:
        """Start `spider` with these spider arguments (as job `job_id`, else one Scrapyd
        makes up); the job's id."""
        form: list[tuple[str, str]] = [("project", PROJECT), ("spider", spider)]
        if job_id is not None:
            form.append(("jobid", job_id))
        form += [("setting", f"{name}={value}") for name, value in (settings or {}).items()]
        form += list(arguments.items())
        # A node answers a project's first schedule.json only once it has listed its
        # spiders (a new Python process). Given up on sooner, the job would still run,
        # with the scheduler believing it never started.
        answer = self._call("schedule.json", form, timeout=LIST_SECONDS)
        return str(answer["jobid"])

    def spiders(self) -> list[str]:
        """The project's spiders (listspiders.json). A node lists them by running a job's
        runner once, which warms up sokbo's (sokbo.crawl.runner) for the jobs after."""
        answer = self._call(f"listspiders.json?project={PROJECT}", timeout=LIST_SECONDS)
        return [str(name) for name in answer["spiders"]]

    def jobs(self) -> dict[str, Job]:
        """The project's jobs this node knows, by id (finished ones as long as it keeps
        them: Scrapyd's finished_to_keep)."""
        answer = self._call(f"listjobs.json?project={PROJECT}")
        jobs: dict[str, Job] = {}
        for state in ("pending", "running", "finished"):
            for job in answer.get(state, []):
                jobs[job["id"]] = Job(job["id"], job["spider"], state, job.get("pid"))
        return jobs

    def cancel(self, job_id: str, signal: str = "INT") -> None:
        """Stop a job: SIGINT, Scrapy's clean stop (the run is recorded as stopped)."""
        self._call("cancel.json", [("project", PROJECT), ("job", job_id), ("signal", signal)])

    def _call(
        self, endpoint: str, form: list[tuple[str, str]] | None = None, timeout: float = 0.0
    ) -> Any:
        data = None if form is None else urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(f"{self.url}/{endpoint}", data=data)
        if self._auth:
            request.add_header("Authorization", self._auth)
        where = f"scrapyd {self.url}: {endpoint.split('?')[0]}"
        try:
            with urllib.request.urlopen(request, timeout=max(timeout, self.timeout)) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ScrapydError(f"{where}: HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise ScrapydError(f"{where}: {exc.reason}") from None
        except (OSError, ValueError) as exc:
            raise ScrapydError(f"{where}: {exc}") from None
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            message = answer.get("message") if isinstance(answer, dict) else answer
            raise ScrapydError(f"{where}: {message}")
        return answer
