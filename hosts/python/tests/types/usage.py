"""Checked (never run) by mypy in test_types.py: the generated types must fit the documented use."""

from typing import Dict, List, Optional

import openai_ft
from openai_ft import Job, JobStatus, OpenAiFtError, Permission, Report


def example() -> None:
    out: Dict[str, str] = openai_ft.run("job read", {"id": "ftjob-abc"}, env={})
    job: Job = openai_ft.jobs.read(out["id"], env={})
    status: JobStatus = job.status
    created: int = job.created_at
    finished: Optional[int] = job.finished_at
    report: Report = openai_ft.files.validate("train.jsonl", "dpo")
    size: int = report.bytes
    grants: List[Permission] = openai_ft.permissions.grant("ft:gpt-4o-mini:org::abc", ["proj_a"])
    first: str = grants[0].project_id
    revoked: List[str] = openai_ft.permissions.revoke("ft:gpt-4o-mini:org::abc", ("proj_a",))
    try:
        openai_ft.run("job list")
    except OpenAiFtError as e:
        if e.kind == "api":
            print(e.status, e.request_id, status, created, finished, size, first, revoked)
