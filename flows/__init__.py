"""Orchestration: Prefect flows that wire the stages together.

Flows are thin layers over the library functions of the other packages; they
add scheduling, retries on IO and progress records so that a re-run after a
crash finishes the job without duplicates. (Filled in by the orchestration
issue.)
"""
