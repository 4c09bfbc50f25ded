"""What may differ between two runs of the same scenario by nature, and nothing else. Each rule
says why; everything a rule does not touch must be byte-identical across hosts."""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

# Ids the emulator draws at random (each run has a fresh emulator): replaced by the order in which
# they first appear, so a host that mixed two ids up still differs.
RANDOM_IDS = [
    re.compile(r"\bftjob-[A-Za-z0-9]{8,}"),
    re.compile(r"\bfile-[A-Za-z0-9]{8,}"),
    re.compile(r"\bcp_[A-Za-z0-9]{8,}"),
    # Idempotency keys hash the request, which names the (random) training file id.
    re.compile(r"\boaift-[0-9a-f]{32}\b"),
    # Fine-tuned model names end in a random part: ft:<base>:<org>:<suffix>:<random> (OpenAI),
    # <base>.ft-<random> (Azure); also at the start of a CSV or Markdown row inside a JSON value,
    # after an escaped line break.
    re.compile(r"(?:(?<=\\[rn])|\b)ft:[A-Za-z0-9.\-]+:[A-Za-z0-9\-]+:[A-Za-z0-9\-]*:[A-Za-z0-9]{8}\b"),
    re.compile(r"\b[A-Za-z0-9.\-]+\.ft-[0-9a-f]{32}\b"),
]

# A job's status where a scenario cannot hold its job still (Azure must process a file before a
# job can use it, so its jobs move, and a retry's jittered wait decides how far).
MOVING = [
    (re.compile(r'"(api_status|status)":"[a-z_]+"'), r'"\1":"<status>"'),
    (re.compile(r'"estimated_finish":"[^"]*"'), '"estimated_finish":"<time>"'),
    # A loaded machine's slower host may read the job after it has finished: what finishing adds.
    (re.compile(r'"(fine_tuned_model|finished_at|trained_tokens)":"[^"]*"'), r'"\1":"<if-finished>"'),
    (re.compile(r'"result_files":"\[[^\]]*\]"'), '"result_files":"<if-finished>"'),
    (re.compile(r"\b(validating_files|validating files|queued|running|pending|created|succeeded)\b"),
     "<status>"),
]

# Lines only the native host's usage has: it alone writes portable components and honours proxy
# variables (HOST.md, section 2).
NATIVE_ONLY = re.compile(r"^  (component \[host-logic\]|HTTPS_PROXY, )")

RULES: List[Tuple[re.Pattern, str]] = [
    # The usage's first line names each host's own binary.
    (re.compile(r"^usage: openai-ft-(node|py) "), "usage: openai-ft "),
    # Request ids are random per response, by nature of the API.
    (re.compile(r"\breq_[0-9a-f]{16,}"), "req_<id>"),
    # Each run's emulator listens on its own free port.
    (re.compile(r"http://127\.0\.0\.1:\d+"), "http://127.0.0.1:<port>"),
    # Retry backoff carries up to 25% random jitter (crates/core/src/retry.rs).
    (re.compile(r"\bin \d+\.\d s\b"), "in <delay> s"),
    # A job created without a seed gets a random one from the server; the inventory's retrain
    # requests carry it (escaped, inside a JSON value).
    (re.compile(r'(\\"seed\\":)\d+'), r"\1<seed>"),
    # Wall-clock times: creation, finish and estimated-finish times follow the real clock.
    (re.compile(r"\b1[6-9]\d{8}\b"), "<unix-time>"),
    (re.compile(r"estimated finish \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in [^)]*\)"),
     "estimated finish <time>"),
]


def normalise(text: str, ids: Dict[str, str], moving: bool = False) -> str:
    """Applies every rule to `text` (and MOVING's too if `moving`); `ids` carries the random-id
    numbering across one run."""
    for pattern in RANDOM_IDS:
        def number(m: re.Match) -> str:
            return ids.setdefault(m.group(0), f"<id{len(ids) + 1}>")

        text = pattern.sub(number, text)
    for pattern, replacement in RULES + (MOVING if moving else []):
        text = pattern.sub(replacement, text)
    return text
