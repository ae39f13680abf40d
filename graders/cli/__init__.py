"""The tools around the grading engine: the `kata` command, its progress view, the stub
builder, the nbgrader course and the GitHub report. They import the engine and the topic
graders; nothing imports them."""
