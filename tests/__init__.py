"""The tests, one folder per stage of the grader (as in autograder/), the student package (course/),
the notebooks, the hub, the browser and the GPU; what several share is in tests.support."""
