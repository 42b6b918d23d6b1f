"""Components of the space: preprocessing steps and model families."""
