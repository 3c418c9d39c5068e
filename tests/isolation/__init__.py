"""autograder.isolation: the sandbox, the per-slot budget and students kept apart."""
