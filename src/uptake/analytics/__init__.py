"""Pure computations on counts and values: trends, derived series, adoption, emerging terms, senses, openness detection. Nothing here opens a store, draws, or serves."""
