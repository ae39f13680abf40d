"""Small programs a learner runs to see a topic's point with their own katas."""
