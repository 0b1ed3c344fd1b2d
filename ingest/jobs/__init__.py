"""mrjob jobs and the engine-independent logic they run."""
