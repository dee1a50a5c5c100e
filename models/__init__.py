"""Classifiers: scikit-learn models for themes and planned-versus-reactive.

It owns training, evaluation against held-out labelled data, the quality gate
and the versioned model artifacts. (Filled in by the classifiers issue.)
"""
