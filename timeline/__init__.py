"""The timeline: signal detectors and the queries that read signals back.

It turns annotated documents into contradiction, reversal, reannouncement,
reactive and burst signals with evidence sentences. (Filled in by the timeline
issue.)
"""
