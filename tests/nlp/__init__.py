"""Language layer tests: the components, the pipeline, annotation and the quality gate."""
