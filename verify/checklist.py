"""Check results, their rendering (text checklist or JSON) and the figures verify keeps about itself.

A check passes (✓), fails (✗, with the fix) or was not run (a dash, with why and how to enable it). Only ✗
makes the exit status non-zero.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from .untrusted import escape, json_document


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


MARKS = {Status.PASS: "✓", Status.FAIL: "✗", Status.SKIP: "–"}  # noqa: RUF001 (en dash: not checked)


@dataclass
class Check:
    """One line of the checklist; ``id`` is stable for machines (``--json``)."""

    id: str
    section: str
    title: str
    status: Status
    detail: str = ""
    fix: str = ""


def passed(id_: str, section: str, title: str, detail: str = "") -> Check:
    return Check(id_, section, title, Status.PASS, detail)


def failed(id_: str, section: str, title: str, detail: str, fix: str) -> Check:
    return Check(id_, section, title, Status.FAIL, detail, fix)


def skipped(id_: str, section: str, title: str, detail: str, fix: str = "") -> Check:
    return Check(id_, section, title, Status.SKIP, detail, fix)


@dataclass
class Figures:
    """Wall time per part of the run and requests per API, for the summary and ``--json``."""

    clock: Callable[[], float] = time.monotonic
    seconds: dict[str, float] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)

    @contextmanager
    def timed(self, part: str) -> Iterator[None]:
        start = self.clock()
        try:
            yield
        finally:
            self.seconds[part] = self.seconds.get(part, 0.0) + self.clock() - start

    def count(self, name: str) -> None:
        self.requests[name] += 1

    def total(self, prefix: str) -> int:
        return sum(count for name, count in self.requests.items() if name.startswith(prefix))


@dataclass
class Report:
    """The run's checks and figures. ``mask`` hides secret values in both forms (verify.untrusted);
    the text form escapes control characters, the JSON form encodes them."""

    heading: str
    checks: list[Check] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)
    mask: Callable[[str], str] = field(default=lambda text: text, repr=False)

    def add(self, *checks: Check) -> None:
        self.checks.extend(checks)

    @property
    def ok(self) -> bool:
        return all(check.status is not Status.FAIL for check in self.checks)

    def counts(self) -> dict[str, int]:
        return {status.value: sum(c.status is status for c in self.checks) for status in Status}

    def _shown(self, text: str) -> str:
        return escape(self.mask(text))

    def render_text(self) -> str:
        show = self._shown
        lines = [show(self.heading)]
        section = None
        for check in self.checks:
            if check.section != section:
                section = check.section
                lines.append(f"\n{show(section)}")
            text = f"  {MARKS[check.status]} {show(check.title)}"
            if check.detail:
                text += f": {show(check.detail)}"
            lines.append(text)
            if check.fix and check.status is not Status.PASS:
                lines.append(f"      fix: {show(check.fix)}")
        counts = self.counts()
        total_seconds = sum(self.figures.seconds.values())
        lines.append(
            f"\n{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} not checked "
            f"in {total_seconds:.1f} s; requests: Bitmovin API {self.figures.total('bitmovin:')}, "
            f"AWS {self.figures.total('aws:')}"
        )
        return "\n".join(lines)

    def to_json(self) -> str:
        texts = ("title", "detail", "fix")
        document: dict[str, Any] = {
            "ok": self.ok,
            "heading": self.mask(self.heading),
            "counts": self.counts(),
            "checks": [
                {
                    **{k: self.mask(v) if k in texts else v for k, v in asdict(check).items()},
                    "status": check.status.value,
                }
                for check in self.checks
            ],
            "seconds": {name: round(value, 3) for name, value in self.figures.seconds.items()},
            "requests": dict(sorted(self.figures.requests.items())),
        }
        return json_document(document)
