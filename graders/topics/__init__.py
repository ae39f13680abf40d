"""The checks of each topic (graders/topics/optimizers.py grades 03_optimizers): inputs,
the PyTorch oracle, the known mistakes. They import the engine only."""
