"""The interview questions of a topic, read from its README: every `## Q<n> · question`
heading, its answer the section's text (up to the next `## ` heading)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HEADING = re.compile(r"^## Q(\d+) · (.+)$")


@dataclass(frozen=True)
class Question:
    number: int
    topic: str
    text: str
    answer: str

    @property
    def short_answer(self) -> str:
        """The bold paragraph a section opens with (the 30-second answer), unbolded; the
        whole section where there is none."""
        first = " ".join(self.answer.split("\n\n", 1)[0].split())
        if first.startswith("**") and first.endswith("**") and first.count("**") == 2:
            return first[2:-2]
        return self.answer


def topic_questions(root: Path, topic: str) -> list[Question]:
    path = Path(root) / "exercises" / topic / "README.md"
    if not path.exists():
        return []
    questions, current, body = [], None, []
    for line in path.read_text(encoding="utf-8").splitlines() + ["## end"]:
        if line.startswith("## "):
            if current:
                questions.append(Question(current[0], topic, current[1], "\n".join(body).strip()))
            match = HEADING.match(line)
            current, body = ((int(match[1]), match[2].strip()) if match else None), []
        elif current:
            body.append(line)
    return questions
