"""How grading works, knowing no topic: the pytest plugin, the worker process learner code
runs in and the plain-data protocol it speaks, the proxy graders call, comparisons and
messages, the check registry, shared PyTorch oracles and the results file."""
