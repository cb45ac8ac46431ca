"""torch.nn networks; each takes `input_shape` and `num_outputs` from the config."""
