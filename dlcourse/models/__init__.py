"""PyTorch models that are twins of NumPy models in dlcourse.nn (the same state_dict keys)."""
