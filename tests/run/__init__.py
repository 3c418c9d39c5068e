"""autograder.run: the coordinator, the canary, the Dask cluster and the grader's CLI on a class."""
